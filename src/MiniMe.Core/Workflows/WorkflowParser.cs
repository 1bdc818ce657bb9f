using System.Globalization;
using System.Text.Json.Nodes;
using MiniMe.Configuration;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace MiniMe.Workflows;

/// <summary>
/// Reads a <c>*.workflow.yaml</c> manifest into a <see cref="WorkflowDefinition"/>, keeping the line and
/// column of every node, edge and field. The text goes through <see cref="SafeYamlLoader"/> (size, depth,
/// alias limits as config files). Structural problems (unknown fields with a suggestion, wrong types,
/// missing fields) are collected, not thrown one by one; <see cref="WorkflowValidator"/> adds the graph checks.
/// </summary>
public static class WorkflowParser
{
    public static readonly string[] TopFields = ["name", "version", "description", "inputs", "nodes", "edges", "entry", "exit", "budgets", "hooks", "routing"];
    public static readonly string[] HookFields = ["event", "program", "match", "timeoutSeconds", "onError"];
    public static readonly string[] InputFields = ["type", "required", "default", "description"];
    public static readonly string[] InputTypes = ["string", "number", "boolean"];
    public static readonly string[] BudgetFields = ["tokens"];
    public static readonly string[] EdgeFields = ["from", "to", "kind", "when", "max_iterations"];
    public static readonly string[] MergeStrategies = ["all", "first", "concat"];

    /// <summary>The fields each node type takes besides id and type.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> NodeFields = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        [NodeTypes.Agent] = ["agent", "model", "budget", "prompt"],
        [NodeTypes.Tool] = ["tool", "arguments"],
        [NodeTypes.Decision] = ["condition"],
        [NodeTypes.Merge] = ["inputs", "strategy"],
        [NodeTypes.Human] = ["message"],
        [NodeTypes.Panel] = ["perspectives", "subject", "model", "budget"],
    };

    /// <summary>Parses and validates; throws <see cref="WorkflowValidationException"/> with every problem.</summary>
    /// <param name="models">The named models a node's <c>model:</c> may name (llm.models, or the default); null: not checked.</param>
    public static WorkflowDefinition Load(string yaml, string source, IReadOnlyCollection<string>? models = null)
    {
        var (definition, problems) = Parse(yaml, source);
        if (definition is not null) problems.AddRange(WorkflowValidator.Validate(definition, models));
        if (problems.Count > 0) throw new WorkflowValidationException(problems);
        return definition!;
    }

    public static WorkflowDefinition LoadFile(string path)
    {
        string text;
        try
        {
            text = SafeYamlLoader.ReadFile(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new NotFoundException($"No workflow file '{path}'; `minime workflow list` shows the workflows you have.");
        }
        return Load(text, path);
    }

    /// <summary>The definition (null when the text is not a YAML mapping) and the structural problems found.</summary>
    public static (WorkflowDefinition? Definition, List<string> Problems) Parse(string yaml, string source)
    {
        var problems = new List<string>();
        var stream = new YamlStream();
        try
        {
            SafeYamlLoader.Load(stream, yaml, source);
        }
        catch (YamlException e)
        {
            problems.Add($"{source}:{e.Start.Line}:{e.Start.Column}: {FirstLine(e.InnerException?.Message ?? e.Message)}");
            return (null, problems);
        }
        catch (ConfigException e)
        {
            problems.Add(e.Message);
            return (null, problems);
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            problems.Add($"{source}:1:1: a workflow is a YAML mapping with name, nodes, edges, entry and exit");
            return (null, problems);
        }
        var reader = new Reader(source, problems);
        return (reader.Definition(root), problems);
    }

    private static string FirstLine(string message)
    {
        var end = message.IndexOfAny(['\r', '\n']);
        return (end < 0 ? message : message[..end]).Trim();
    }

    internal static SourceMark At(YamlNode node) => new((int)node.Start.Line, (int)node.Start.Column);

    private sealed class Reader(string source, List<string> problems) : YamlMappingReader(source, problems)
    {
        private void Problem(SourceMark mark, string message) => Problem(mark.ToString(), message);

        private int? Whole(YamlMappingNode map, string key, string where, int min)
        {
            if (Get(map, key) is not { } node) return null;
            if (node is YamlScalarNode { Value: { } v } && int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= min) return n;
            Problem(node, key == "max_iterations" ? $"{where}: 'max_iterations' must be a whole number of at least {min}, or auto" : $"{where}: '{key}' must be a whole number of at least {min}");
            return null;
        }

        private bool? Bool(YamlMappingNode map, string key, string where)
        {
            if (Get(map, key) is not { } node) return null;
            if (node is YamlScalarNode { Value: "true" or "false" } s) return s.Value == "true";
            Problem(node, $"{where}: '{key}' must be true or false");
            return null;
        }

        public WorkflowDefinition Definition(YamlMappingNode root)
        {
            UnknownFields(root, "the workflow", TopFields);
            var name = Text(root, "name", "the workflow", required: true) ?? "";
            var version = Text(root, "version", "the workflow") ?? "1";
            var inputs = Inputs(Get(root, "inputs"));
            var nodes = Nodes(Get(root, "nodes"), root);
            var edges = Edges(Get(root, "edges"));
            var entry = Text(root, "entry", "the workflow", required: true) ?? "";
            var exit = Text(root, "exit", "the workflow", required: true) ?? "";
            long? budget = null;
            if (Get(root, "budgets") is { } budgets)
            {
                if (budgets is YamlMappingNode b)
                {
                    UnknownFields(b, "budgets", BudgetFields);
                    budget = Whole(b, "tokens", "budgets", 1);
                }
                else Problem(budgets, "budgets must be a mapping (tokens: N)");
            }
            return new WorkflowDefinition(name, version, inputs, nodes, edges, entry, exit, budget)
            {
                Source = Source,
                Description = Text(root, "description", "the workflow"),
                Hooks = Hooks(Get(root, "hooks")),
                RoutesByMasks = Routing(root),
                EntryMark = Get(root, "entry") is { } e ? At(e) : At(root),
                ExitMark = Get(root, "exit") is { } x ? At(x) : At(root),
            };
        }

        /// <summary>routing: masks (agents the masks weigh below llm.skipAgentsBelow are routed out) or none (the default: every agent node runs).</summary>
        private bool Routing(YamlMappingNode root)
        {
            var routing = Text(root, "routing", "the workflow") ?? "none";
            if (routing is "masks" or "none") return routing == "masks";
            Problem(Get(root, "routing")!, "routing " + SettingValues.NotOneOf(routing, ["masks", "none"]));
            return false;
        }

        /// <summary>hooks: the same rows as config.yaml's (docs/hooks.md), checked here with their line and column.</summary>
        private List<MiniMe.Hooks.HookOptions> Hooks(YamlNode? node)
        {
            var list = new List<MiniMe.Hooks.HookOptions>();
            if (node is null) return list;
            if (node is not YamlSequenceNode items)
            {
                Problem(node, "hooks must be a list of {event, program, match, timeoutSeconds, onError}");
                return list;
            }
            foreach (var item in items)
            {
                if (item is not YamlMappingNode map)
                {
                    Problem(item, "a hook is a mapping with event and program");
                    continue;
                }
                UnknownFields(map, "a hook", HookFields);
                var hook = new MiniMe.Hooks.HookOptions { Event = Text(map, "event", "a hook", required: true) ?? "" };
                if (hook.Event.Length > 0 && !MiniMe.Hooks.HookEvents.IsKnown(hook.Event))
                    Problem(Get(map, "event")!, "hook event " + SettingValues.NotOneOf(hook.Event, MiniMe.Hooks.HookEvents.All));
                if (Get(map, "program") is YamlSequenceNode argv && argv.All(a => a is YamlScalarNode { Value.Length: > 0 }))
                    hook.Program = [.. argv.Select(a => ((YamlScalarNode)a).Value!)];
                else
                    Problem(Get(map, "program") ?? map, "a hook needs a program as a list (no shell): [\"/usr/bin/env\", \"python3\", \"hook.py\"]");
                if (Get(map, "match") is { } match)
                {
                    if (match is YamlMappingNode m)
                    {
                        UnknownFields(m, "match", ["tool"]);
                        hook.Match = new MiniMe.Hooks.HookMatch { Tool = Text(m, "tool", "match") };
                        if (hook.Match.Tool is not null && hook.Event is not (MiniMe.Hooks.HookEvents.BeforeTool or MiniMe.Hooks.HookEvents.AfterTool))
                            Problem(match, $"match.tool applies only to before_tool and after_tool hooks (event is {hook.Event})");
                    }
                    else Problem(match, "match must be a mapping (tool: NAME)");
                }
                if (Get(map, "timeoutSeconds") is { } timeout)
                {
                    if (timeout is YamlScalarNode { Value: { } t } && int.TryParse(t, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds) && seconds is >= 1 and <= 600)
                        hook.TimeoutSeconds = seconds;
                    else Problem(timeout, "timeoutSeconds must be a whole number from 1 to 600");
                }
                if (Text(map, "onError", "a hook") is { } onError)
                {
                    if (onError is "deny" or "allow") hook.OnError = onError == "deny" ? MiniMe.Hooks.HookErrorPolicy.Deny : MiniMe.Hooks.HookErrorPolicy.Allow;
                    else Problem(Get(map, "onError")!, "onError " + SettingValues.NotOneOf(onError, ["deny", "allow"]));
                }
                list.Add(hook);
            }
            return list;
        }

        private List<WorkflowInput> Inputs(YamlNode? node)
        {
            var list = new List<WorkflowInput>();
            if (node is null) return list;
            if (node is not YamlMappingNode map)
            {
                Problem(node, "inputs must be a mapping of input names to {type, required, default, description}");
                return list;
            }
            foreach (var (key, value) in map.Children)
            {
                var name = ((YamlScalarNode)key).Value ?? "";
                var where = $"input '{name}'";
                if (value is not YamlMappingNode spec)
                {
                    Problem(value, $"{where} must be a mapping with type (string, number or boolean)");
                    continue;
                }
                UnknownFields(spec, where, InputFields);
                var type = Text(spec, "type", where) ?? "string";
                if (!InputTypes.Contains(type))
                    Problem(Get(spec, "type")!, $"{where}: " + SettingValues.NotOneOf(type, InputTypes));
                JsonNode? def = null;
                if (Get(spec, "default") is YamlScalarNode d) def = Scalar(d, type);
                else if (Get(spec, "default") is { } other) Problem(other, $"{where}: the default must be a single value");
                list.Add(new WorkflowInput(name, type, Bool(spec, "required", where) ?? false, def, Text(spec, "description", where), At(key)));
            }
            return list;
        }

        private JsonNode? Scalar(YamlScalarNode s, string type)
        {
            var v = s.Value ?? "";
            switch (type)
            {
                case "number" when double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var n): return JsonValue.Create(n);
                case "boolean" when v is "true" or "false": return JsonValue.Create(v == "true");
                case "string": return JsonValue.Create(v);
                default:
                    Problem(s, $"the default '{v}' is not a {type}");
                    return null;
            }
        }

        private List<WorkflowNode> Nodes(YamlNode? node, YamlMappingNode root)
        {
            var list = new List<WorkflowNode>();
            if (node is null)
            {
                Problem(root, "the workflow needs 'nodes' (a list of {id, type, ...})");
                return list;
            }
            if (node is not YamlSequenceNode seq)
            {
                Problem(node, "nodes must be a list of {id, type, ...}");
                return list;
            }
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var item in seq.Children)
            {
                if (item is not YamlMappingNode map)
                {
                    Problem(item, "a node is a mapping with id and type");
                    continue;
                }
                var id = Text(map, "id", "a node", required: true);
                if (id is null) continue;
                var where = $"node '{id}'";
                if (!seen.Add(id)) Problem(Get(map, "id")!, $"{where} is declared twice; node ids are unique");
                var type = Text(map, "type", where, required: true);
                if (type is null) continue;
                if (!NodeFields.TryGetValue(type, out var fields))
                {
                    var suggestion = SettingKeys.Closest(type, NodeTypes.All);
                    Problem(Get(map, "type")!, $"{where}: unknown node type '{type}'" + (suggestion is null ? $"; use one of {string.Join(", ", NodeTypes.All)}" : $"; did you mean '{suggestion}'?"));
                    continue;
                }
                UnknownFields(map, $"{where} ({type})", ["id", "type", .. fields]);
                var marks = new Dictionary<string, SourceMark>(StringComparer.Ordinal);
                foreach (var (k, v) in map.Children) marks[((YamlScalarNode)k).Value ?? ""] = At(v);
                var result = new WorkflowNode(id, type, At(map)) { Fields = marks };
                switch (type)
                {
                    case NodeTypes.Agent:
                        result = result with
                        {
                            Agent = Text(map, "agent", where, required: true),
                            Model = Text(map, "model", where),
                            Budget = Whole(map, "budget", where, 1),
                            Prompt = Text(map, "prompt", where),
                        };
                        break;
                    case NodeTypes.Tool:
                        JsonObject? arguments = null;
                        if (Get(map, "arguments") is { } a)
                        {
                            if (a is YamlMappingNode am)
                            {
                                arguments = Json(am)!.AsObject();
                                LeafMarks(am, "arguments", marks);
                            }
                            else Problem(a, $"{where}: arguments must be a mapping");
                        }
                        result = result with { Tool = Text(map, "tool", where, required: true), Arguments = arguments ?? [] };
                        break;
                    case NodeTypes.Decision:
                        result = result with { Condition = Text(map, "condition", where, required: true) };
                        break;
                    case NodeTypes.Merge:
                        var inputs = new List<string>();
                        if (Get(map, "inputs") is { } i)
                        {
                            if (i is YamlSequenceNode iseq && iseq.Children.All(c => c is YamlScalarNode))
                                inputs.AddRange(iseq.Children.Select(c => ((YamlScalarNode)c).Value ?? ""));
                            else Problem(i, $"{where}: inputs must be a list of node ids");
                        }
                        var strategy = Text(map, "strategy", where) ?? "all";
                        if (!MergeStrategies.Contains(strategy))
                            Problem(Get(map, "strategy")!, $"{where}: strategy " + SettingValues.NotOneOf(strategy, MergeStrategies));
                        result = result with { Inputs = inputs, Strategy = strategy };
                        break;
                    case NodeTypes.Human:
                        result = result with { Message = Text(map, "message", where) ?? $"Continue the workflow after '{id}'?" };
                        break;
                    case NodeTypes.Panel:
                        // perspectives: a list or a comma-separated string of names.
                        var names = Get(map, "perspectives") is YamlSequenceNode pseq && pseq.Children.All(c => c is YamlScalarNode)
                            ? string.Join(',', pseq.Children.Select(c => ((YamlScalarNode)c).Value))
                            : Text(map, "perspectives", where);
                        result = result with { Perspectives = names, Subject = Text(map, "subject", where), Model = Text(map, "model", where), Budget = Whole(map, "budget", where, 1) };
                        break;
                }
                list.Add(result);
            }
            return list;
        }

        private static void LeafMarks(YamlNode node, string at, Dictionary<string, SourceMark> marks)
        {
            marks[at] = At(node);
            switch (node)
            {
                case YamlMappingNode m:
                    foreach (var (k, v) in m.Children) LeafMarks(v, $"{at}.{((YamlScalarNode)k).Value}", marks);
                    break;
                case YamlSequenceNode q:
                    for (var i = 0; i < q.Children.Count; i++) LeafMarks(q.Children[i], $"{at}[{i}]", marks);
                    break;
            }
        }

        private static JsonNode? Json(YamlNode node) => node switch
        {
            YamlMappingNode m => new JsonObject(m.Children.Select(kv => KeyValuePair.Create(((YamlScalarNode)kv.Key).Value ?? "", Json(kv.Value)))),
            YamlSequenceNode s => new JsonArray([.. s.Children.Select(Json)]),
            YamlScalarNode { Style: ScalarStyle.Plain, Value: "true" or "false" } b => JsonValue.Create(b.Value == "true"),
            YamlScalarNode { Style: ScalarStyle.Plain, Value: { } v } when long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) => JsonValue.Create(n),
            YamlScalarNode { Style: ScalarStyle.Plain, Value: null or "" or "null" or "~" } => null,
            YamlScalarNode s => JsonValue.Create(s.Value ?? ""),
            _ => null,
        };

        private List<WorkflowEdge> Edges(YamlNode? node)
        {
            var list = new List<WorkflowEdge>();
            if (node is null) return list;
            if (node is not YamlSequenceNode seq)
            {
                Problem(node, "edges must be a list of {from, to, kind, when, max_iterations}");
                return list;
            }
            foreach (var item in seq.Children)
            {
                if (item is not YamlMappingNode map)
                {
                    Problem(item, "an edge is a mapping with from and to");
                    continue;
                }
                UnknownFields(map, "an edge", EdgeFields);
                var from = Text(map, "from", "an edge", required: true);
                var to = Text(map, "to", "an edge", required: true);
                var kind = Text(map, "kind", "an edge") ?? (Get(map, "when") is null ? EdgeKinds.Normal : EdgeKinds.Conditional);
                if (!EdgeKinds.All.Contains(kind))
                {
                    Problem(Get(map, "kind")!, "edge kind " + SettingValues.NotOneOf(kind, EdgeKinds.All));
                    continue;
                }
                var when = Text(map, "when", "an edge");
                var auto = Get(map, "max_iterations") is YamlScalarNode { Value: "auto" };
                var max = auto ? null : Whole(map, "max_iterations", "an edge", 1);
                if (from is null || to is null) continue;
                list.Add(new WorkflowEdge(from, to, kind, when, max, At(map))
                {
                    RoundBound = auto,
                    FromMark = At(Get(map, "from")!),
                    ToMark = At(Get(map, "to")!),
                    WhenMark = Get(map, "when") is { } w ? At(w) : At(map),
                    Index = list.Count,
                });
            }
            return list;
        }
    }
}
