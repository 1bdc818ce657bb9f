using MiniMe.Configuration;

namespace MiniMe.Workflows;

/// <summary>
/// The checks a parsed manifest must pass before it runs, every problem reported at once as
/// "file:line:col: message": edges to missing nodes, conditional edges only from decisions, cycles only
/// through an edge with max_iterations, a path from entry to exit, no unreachable nodes, merges with at
/// least two inbound edges, known agents and tools, condition syntax, and template and condition
/// references (unknown inputs or nodes, nodes not upstream, fields a node's output does not have, types that do not fit).
/// </summary>
public static class WorkflowValidator
{
    /// <param name="models">The configured model names an agent node's <c>model:</c> may name; null: not checked (no configuration at hand).</param>
    public static List<string> Validate(WorkflowDefinition d, IReadOnlyCollection<string>? models = null)
    {
        ArgumentNullException.ThrowIfNull(d);
        var problems = new List<string>();
        void Problem(SourceMark mark, string message) => problems.Add($"{d.Source}:{mark}: {message}");
        var ids = d.Nodes.Select(n => n.Id).ToHashSet(StringComparer.Ordinal);
        string Missing(string id) => SettingKeys.Closest(id, ids) is { } s ? $"; did you mean '{s}'?" : ids.Count == 0 ? "" : $" (nodes: {string.Join(", ", ids)})";

        if (d.Entry.Length > 0 && !ids.Contains(d.Entry)) Problem(d.EntryMark, $"entry '{d.Entry}' is not a node{Missing(d.Entry)}");
        if (d.Exit.Length > 0 && !ids.Contains(d.Exit)) Problem(d.ExitMark, $"exit '{d.Exit}' is not a node{Missing(d.Exit)}");

        foreach (var node in d.Nodes)
        {
            if (node.Type == NodeTypes.Agent && node.Agent is { } agent && !OutputSchemas.Agents.Contains(agent))
                Problem(node.MarkOf("agent"), $"node '{node.Id}': unknown agent '{agent}'" + (SettingKeys.Closest(agent, OutputSchemas.Agents) is { } s ? $"; did you mean '{s}'?" : $"; use one of {string.Join(", ", OutputSchemas.Agents)}"));
            if (models is not null && node.Model is { } model && !models.Contains(model))
                Problem(node.MarkOf("model"), $"node '{node.Id}': unknown model '{model}'" + (models.Count == 0
                    ? "; no model is configured (llm.models, or llm.provider/model as the model named default)"
                    : SettingKeys.Closest(model, models) is { } m ? $"; did you mean '{m}'?" : $"; known models: {string.Join(", ", models)}"));
            if (node.Type == NodeTypes.Tool && node.Tool is { } tool && !OutputSchemas.Tools.Contains(tool))
                Problem(node.MarkOf("tool"), $"node '{node.Id}': unknown tool '{tool}'" + (SettingKeys.Closest(tool, OutputSchemas.Tools) is { } s ? $"; did you mean '{s}'?" : $"; use one of {string.Join(", ", OutputSchemas.Tools)}"));
            if (node.Type == NodeTypes.Tool && node.Tool == "run_command" && node.Arguments?["argv"] is not System.Text.Json.Nodes.JsonArray)
                Problem(node.MarkOf("arguments"), $"node '{node.Id}': run_command needs arguments.argv, a list (program first)");
            if (PanelNode.Check(node) is { } panelProblem) Problem(node.MarkOf("perspectives"), panelProblem);
            foreach (var input in node.Inputs.Where(i => !ids.Contains(i)))
                Problem(node.MarkOf("inputs"), $"node '{node.Id}': merge input '{input}' is not a node{Missing(input)}");
        }

        var edges = new List<WorkflowEdge>();
        foreach (var e in d.Edges)
        {
            var ok = true;
            if (!ids.Contains(e.From)) { Problem(e.FromMark, $"edge from '{e.From}': no such node{Missing(e.From)}"); ok = false; }
            if (!ids.Contains(e.To)) { Problem(e.ToMark, $"edge to '{e.To}': no such node{Missing(e.To)}"); ok = false; }
            if (e.Kind == EdgeKinds.Conditional && ids.Contains(e.From) && d.Node(e.From)!.Type != NodeTypes.Decision)
                Problem(e.Mark, $"conditional edge {e.From} → {e.To}: only decision nodes have conditional edges ('{e.From}' is a {d.Node(e.From)!.Type} node); add a decision node");
            if (e.Kind == EdgeKinds.Conditional && e.When is null)
                Problem(e.Mark, $"conditional edge {e.From} → {e.To} needs 'when' (a condition)");
            if (e.Kind != EdgeKinds.Conditional && e.When is not null)
                Problem(e.WhenMark, $"edge {e.From} → {e.To}: 'when' is only for conditional edges (kind: conditional)");
            if (ok) edges.Add(e);
        }
        var outgoing = edges.ToLookup(e => e.From);
        var incoming = edges.ToLookup(e => e.To);

        foreach (var node in d.Nodes.Where(n => n.Type == NodeTypes.Merge))
        {
            var count = incoming[node.Id].Count();
            if (count < 2) Problem(node.Mark, $"merge node '{node.Id}' has {count} inbound edge{(count == 1 ? "" : "s")}; a merge joins at least two");
        }

        // Bounded loops: every edge with max_iterations must close a cycle; the rest of the graph must be acyclic.
        foreach (var e in edges.Where(e => e.IsLoop && !Reaches(outgoing, e.To, e.From)))
            Problem(e.Mark, $"edge {e.From} → {e.To} has max_iterations but closes no cycle; remove it or point the edge back to an earlier node");
        var forward = edges.Where(e => !e.IsLoop).ToLookup(e => e.From);
        if (FindCycle(d.Nodes.Select(n => n.Id), forward) is { } cycle)
        {
            var closing = edges.First(e => !e.IsLoop && e.From == cycle[^2] && e.To == cycle[^1]);
            Problem(closing.Mark, $"the edges {string.Join(" → ", cycle)} form a cycle without a bound; set max_iterations on the edge that loops back");
        }

        if (ids.Contains(d.Entry))
        {
            var reachable = ReachableFrom(outgoing, d.Entry);
            if (ids.Contains(d.Exit) && !reachable.Contains(d.Exit))
                Problem(d.ExitMark, $"no path leads from entry '{d.Entry}' to exit '{d.Exit}'");
            foreach (var node in d.Nodes.Where(n => !reachable.Contains(n.Id)))
                Problem(node.Mark, $"node '{node.Id}' is unreachable from entry '{d.Entry}'");
        }

        // Conditions and templates.
        foreach (var node in d.Nodes)
        {
            if (node.Type == NodeTypes.Decision && node.Condition is { } condition)
                CheckCondition(d, node, condition, node.MarkOf("condition"), outgoing, Problem);
            foreach (var (field, text) in TemplatedFields(node))
                foreach (var (path, _) in Templates.References(text))
                    CheckReference(d, node, path, node.MarkOf(field), outgoing, Problem, expected: ExpectedType(node, field, text));
        }
        foreach (var e in edges.Where(e => e.When is not null))
            CheckCondition(d, d.Node(e.From)!, e.When!, e.WhenMark, outgoing, Problem);
        return problems;
    }

    /// <summary>The type a tool argument needs when it is one whole reference (run_command argv items, paths).</summary>
    private static string? ExpectedType(WorkflowNode node, string field, string text)
    {
        if (node.Type != NodeTypes.Tool || Templates.Whole(text) is null) return null;
        if (field.StartsWith("arguments.argv[", StringComparison.Ordinal)) return "string";
        return field is "arguments.path" or "arguments.content" or "arguments.patch" ? "string" : null;
    }

    private static IEnumerable<(string Field, string Text)> TemplatedFields(WorkflowNode node)
    {
        if (node.Prompt is { } p) yield return ("prompt", p);
        if (node.Message is { } m) yield return ("message", m);
        if (node.Subject is { } subject) yield return ("subject", subject);
        foreach (var (field, text) in Templates.Strings(node.Arguments)) yield return ("arguments." + field, text);
    }

    private static void CheckCondition(WorkflowDefinition d, WorkflowNode node, string text, SourceMark mark, ILookup<string, WorkflowEdge> outgoing, Action<SourceMark, string> problem)
    {
        ConditionExpr expr;
        try
        {
            expr = Condition.Parse(text);
        }
        catch (ConditionSyntaxException e)
        {
            problem(mark, $"node '{node.Id}': bad condition at column {e.Offset + 1} of '{text}': {e.Message}");
            return;
        }
        var types = new Dictionary<PathExpr, string?>();
        foreach (var path in Condition.Paths(expr))
            types[path] = CheckReference(d, node, path.ToString(), mark, outgoing, problem, expected: null, allowSelf: true);
        CheckTypes(expr, types, node, mark, problem);
    }

    private static string? TypeOf(ConditionExpr e, Dictionary<PathExpr, string?> types) => e switch
    {
        PathExpr p => types.GetValueOrDefault(p) ?? "any",
        LiteralExpr { Value: null } => "null",
        LiteralExpr l => l.Value.GetValueKind() switch
        {
            System.Text.Json.JsonValueKind.Number => "number",
            System.Text.Json.JsonValueKind.String => "string",
            _ => "boolean",
        },
        _ => "boolean",
    };

    private static void CheckTypes(ConditionExpr e, Dictionary<PathExpr, string?> types, WorkflowNode node, SourceMark mark, Action<SourceMark, string> problem)
    {
        switch (e)
        {
            case NotExpr n:
                CheckTypes(n.Operand, types, node, mark, problem);
                break;
            case BinaryExpr { Op: "&&" or "||" } b:
                CheckTypes(b.Left, types, node, mark, problem);
                CheckTypes(b.Right, types, node, mark, problem);
                break;
            case BinaryExpr b:
                var (l, r) = (TypeOf(b.Left, types), TypeOf(b.Right, types));
                string Show(ConditionExpr x, string? t) => x is PathExpr p ? $"{p} ({t})" : $"a {t}";
                if (l is "any" or null || r is "any" or null) return;
                if (b.Op == "contains")
                {
                    if (l is not ("string" or "array" or "object"))
                        problem(mark, $"node '{node.Id}': type mismatch: 'contains' needs a string or a list on its left, not {Show(b.Left, l)}");
                }
                else if (b.Op is "==" or "!=")
                {
                    if (l != r && l != "null" && r != "null")
                        problem(mark, $"node '{node.Id}': type mismatch: {Show(b.Left, l)} {b.Op} {Show(b.Right, r)} compares a {l} with a {r}");
                }
                else if (l != r || l is not ("number" or "string"))
                    problem(mark, $"node '{node.Id}': type mismatch: '{b.Op}' orders two numbers or two strings, not {Show(b.Left, l)} and {Show(b.Right, r)}");
                break;
        }
    }

    /// <summary>Checks one reference; returns its type (null when it is wrong).</summary>
    private static string? CheckReference(WorkflowDefinition d, WorkflowNode node, string path, SourceMark mark, ILookup<string, WorkflowEdge> outgoing,
        Action<SourceMark, string> problem, string? expected, bool allowSelf = false)
    {
        var segments = path.Split('.');
        var where = $"node '{node.Id}'";
        switch (segments[0])
        {
            case "inputs":
                if (segments.Length != 2) { problem(mark, $"{where}: '{path}' reads an input as inputs.NAME"); return null; }
                if (segments[1] == "task") return Expect("string");
                if (d.Inputs.FirstOrDefault(i => i.Name == segments[1]) is not { } input)
                {
                    var s = SettingKeys.Closest(segments[1], [.. d.Inputs.Select(i => i.Name), "task"]);
                    problem(mark, $"{where}: '{path}' names an unknown input" + (s is null ? $" (inputs: {string.Join(", ", d.Inputs.Select(i => i.Name).Append("task"))})" : $"; did you mean 'inputs.{s}'?"));
                    return null;
                }
                return Expect(input.Type);
            case "nodes":
                if (segments.Length < 3 || segments[2] is not ("output" or "status" or "error"))
                {
                    problem(mark, $"{where}: '{path}' reads a node as nodes.ID.output.FIELD (or nodes.ID.status, nodes.ID.error)");
                    return null;
                }
                var id = segments[1];
                if (d.Node(id) is not { } source)
                {
                    var s = SettingKeys.Closest(id, d.Nodes.Select(n => n.Id));
                    problem(mark, $"{where}: '{path}' names an unknown node" + (s is null ? "" : $"; did you mean '{s}'?"));
                    return null;
                }
                if (!(allowSelf && id == node.Id) && !outgoing[id].Any(e => e.To == node.Id || Reaches(outgoing, e.To, node.Id)))
                {
                    problem(mark, $"{where}: '{path}' reads node '{id}', which does not run before '{node.Id}' (no edges lead from it here)");
                    return null;
                }
                if (segments[2] != "output") return Expect("string");
                var (type, error) = OutputSchemas.TypeAt(OutputSchemas.For(source), segments[3..]);
                if (error is not null)
                {
                    problem(mark, $"{where}: '{path}': the output of '{id}' ({Describe(source)}) {error}");
                    return null;
                }
                return Expect(type!);
            default:
                problem(mark, $"{where}: '{path}' is not a reference; templates and conditions read inputs.NAME or nodes.ID.output.FIELD");
                return null;
        }

        string Expect(string type)
        {
            if (expected is not null && type != "any" && type != expected)
                problem(mark, $"{where}: type mismatch: '{path}' is a {type} but the argument needs a {expected}");
            return type;
        }
    }

    private static string Describe(WorkflowNode n) => n.Type switch
    {
        NodeTypes.Agent => $"agent {n.Agent}",
        NodeTypes.Tool => $"tool {n.Tool}",
        _ => n.Type,
    };

    private static HashSet<string> ReachableFrom(ILookup<string, WorkflowEdge> outgoing, string start)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal) { start };
        var stack = new Stack<string>([start]);
        while (stack.Count > 0)
            foreach (var e in outgoing[stack.Pop()])
                if (seen.Add(e.To)) stack.Push(e.To);
        return seen;
    }

    internal static bool Reaches(ILookup<string, WorkflowEdge> outgoing, string from, string to) => ReachableFrom(outgoing, from).Contains(to);

    /// <summary>A cycle as a list of ids whose first and last are the same, or null.</summary>
    private static List<string>? FindCycle(IEnumerable<string> nodes, ILookup<string, WorkflowEdge> forward)
    {
        var state = new Dictionary<string, int>(StringComparer.Ordinal);
        var path = new List<string>();
        List<string>? Visit(string id)
        {
            state[id] = 1;
            path.Add(id);
            foreach (var e in forward[id])
            {
                if (state.GetValueOrDefault(e.To) == 1) return [.. path.Skip(path.IndexOf(e.To)), e.To];
                if (state.GetValueOrDefault(e.To) == 0 && Visit(e.To) is { } found) return found;
            }
            path.RemoveAt(path.Count - 1);
            state[id] = 2;
            return null;
        }
        foreach (var id in nodes)
            if (state.GetValueOrDefault(id) == 0 && Visit(id) is { } cycle) return cycle;
        return null;
    }
}
