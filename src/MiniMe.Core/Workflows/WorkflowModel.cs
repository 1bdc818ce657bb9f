using System.Text.Json.Nodes;

namespace MiniMe.Workflows;

/// <summary>Where something stands in a manifest: 1-based line and column.</summary>
public readonly record struct SourceMark(int Line, int Column)
{
    public override string ToString() => $"{Line}:{Column}";
}

/// <summary>The node types a manifest may use.</summary>
public static class NodeTypes
{
    public const string Agent = "agent";
    public const string Tool = "tool";
    public const string Decision = "decision";
    public const string Merge = "merge";
    public const string Human = "human";
    /// <summary>A reflection panel (<see cref="PanelNode"/>).</summary>
    public const string Panel = "panel";
    public static IReadOnlyList<string> All { get; } = [Agent, Tool, Decision, Merge, Human, Panel];
}

/// <summary>The edge kinds: normal (after success), conditional (a decision's choice), error (after a failure), fallback (after a model failure).</summary>
public static class EdgeKinds
{
    public const string Normal = "normal";
    public const string Conditional = "conditional";
    public const string Error = "error";
    public const string Fallback = "fallback";
    public static IReadOnlyList<string> All { get; } = [Normal, Conditional, Error, Fallback];
}

/// <summary>A declared input: <c>{{inputs.NAME}}</c> in templates and conditions.</summary>
public sealed record WorkflowInput(string Name, string Type, bool Required, JsonNode? Default, string? Description, SourceMark Mark);

/// <summary>One node of a manifest. Which properties are set depends on <see cref="Type"/>.</summary>
public sealed record WorkflowNode(string Id, string Type, SourceMark Mark)
{
    public string? Agent { get; init; }
    public string? Model { get; init; }
    public int? Budget { get; init; }
    public string? Prompt { get; init; }
    public string? Tool { get; init; }
    /// <summary>The tool's arguments: JSON whose string leaves are templates.</summary>
    public JsonObject? Arguments { get; init; }
    public string? Condition { get; init; }
    public IReadOnlyList<string> Inputs { get; init; } = [];
    public string Strategy { get; init; } = "all";
    public string? Message { get; init; }
    /// <summary>A panel node's perspectives, comma-separated (null: the default panel).</summary>
    public string? Perspectives { get; init; }
    /// <summary>A panel node's subject, a template (null: the run's task).</summary>
    public string? Subject { get; init; }
    /// <summary>Where each field's value starts (for errors about it).</summary>
    public IReadOnlyDictionary<string, SourceMark> Fields { get; init; } = new Dictionary<string, SourceMark>();

    public SourceMark MarkOf(string field) => Fields.TryGetValue(field, out var m) ? m : Mark;
}

public sealed record WorkflowEdge(string From, string To, string Kind, string? When, int? MaxIterations, SourceMark Mark)
{
    public SourceMark FromMark { get; init; } = Mark;
    public SourceMark ToMark { get; init; } = Mark;
    public SourceMark WhenMark { get; init; } = Mark;
    public int Index { get; init; }

    /// <summary>
    /// <c>max_iterations: auto</c>: the run decides the bound, one less than its rounds (the smaller of
    /// the masks' max iterations and llm.maxIterations), so the loop runs as many rounds as the agent team would.
    /// </summary>
    public bool RoundBound { get; init; }

    /// <summary>Edges that close a cycle carry a bound; the executor treats them as loop-backs.</summary>
    public bool IsLoop => MaxIterations is not null || RoundBound;

    /// <summary>How many times this loop may send the run back when the run allows <paramref name="rounds"/> rounds.</summary>
    public int Bound(int rounds) => RoundBound ? Math.Max(0, rounds - 1) : MaxIterations ?? 0;

    public string Key => $"{Index}:{From}->{To}";
}

/// <summary>A parsed manifest (<c>*.workflow.yaml</c>).</summary>
public sealed record WorkflowDefinition(
    string Name,
    string Version,
    IReadOnlyList<WorkflowInput> Inputs,
    IReadOnlyList<WorkflowNode> Nodes,
    IReadOnlyList<WorkflowEdge> Edges,
    string Entry,
    string Exit,
    long? BudgetTokens)
{
    /// <summary>The file (or builtin:NAME) it came from, for errors.</summary>
    public string Source { get; init; } = "";
    public string? Description { get; init; }
    /// <summary>The manifest's program hooks (docs/hooks.md): they apply to runs of this workflow, beside config.yaml's.</summary>
    public IReadOnlyList<MiniMe.Hooks.HookOptions> Hooks { get; init; } = [];
    /// <summary><c>routing: masks</c>: an agent the run's masks weigh below llm.skipAgentsBelow is routed out (builtin:team); otherwise every agent node runs.</summary>
    public bool RoutesByMasks { get; init; }
    public SourceMark EntryMark { get; init; }
    public SourceMark ExitMark { get; init; }

    public WorkflowNode? Node(string id) => Nodes.FirstOrDefault(n => n.Id == id);
}

/// <summary>The manifest does not load: every problem, one "file:line:col: message" line each. An input error (exit 2).</summary>
public sealed class WorkflowValidationException(IReadOnlyList<string> problems)
    : MiniMeException(ErrorCategory.InvalidInput, string.Join('\n', problems))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}
