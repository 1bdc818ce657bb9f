using System.Text.Json;
using System.Text.Json.Nodes;
using MiniMe.Agents;
using MiniMe.Identity;
using MiniMe.Masks;
using MiniMe.Tracing;

namespace MiniMe.Workflows;

/// <summary>A node's place in a run: pending, running (only in memory), completed, failed, skipped or waiting (a human node without an answer).</summary>
public static class NodeStatus
{
    public const string Pending = "pending";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string Skipped = "skipped";
    public const string Waiting = "waiting";
}

public sealed class NodeState
{
    public string Status { get; set; } = NodeStatus.Pending;
    /// <summary>The latest output (kept when a loop sends the run back, so the next round reads the last one).</summary>
    public JsonNode? Output { get; set; }
    public string? Error { get; set; }
    /// <summary>Why a node passed without working (routed out by the masks, nothing to do).</summary>
    public string? Reason { get; set; }
    /// <summary>How many times it ran.</summary>
    public int Runs { get; set; }
    /// <summary>When its output was made, in completion order (the latest critic review, the latest build).</summary>
    public long Sequence { get; set; }
    /// <summary>A loop edge sent the run back here: ready whatever its inbound edges say.</summary>
    public bool Triggered { get; set; }
}

/// <summary>
/// Everything a workflow run needs to continue after a crash: the manifest's text, the run's context
/// (task, context prompt, masks, principles), inputs, each node's status and output, each edge's
/// state (fired or dead), loop counters and the meter's totals. Written after every node (<see cref="WorkflowCheckpoints"/>).
/// </summary>
public sealed class WorkflowState
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public string RunId { get; set; } = "";
    /// <summary>The file or builtin:NAME the manifest came from, and its text (resume runs the same manifest).</summary>
    public string Source { get; set; } = "";
    public string Manifest { get; set; } = "";
    public string Task { get; set; } = "";
    public string ContextPrompt { get; set; } = "";
    public MaskWeights Masks { get; set; } = new();
    public List<WeightedPrinciple> Principles { get; set; } = [];
    public Dictionary<string, List<WeightedPrinciple>> AgentPrinciples { get; set; } = [];
    public JsonObject Inputs { get; set; } = [];
    public Dictionary<string, NodeState> Nodes { get; set; } = [];
    /// <summary>Edge key → "fired" or "dead"; absent: not decided yet.</summary>
    public Dictionary<string, string> Edges { get; set; } = [];
    /// <summary>Loop edge key → how many times it sent the run back.</summary>
    public Dictionary<string, int> Loops { get; set; } = [];
    public long BudgetTokens { get; set; }
    public long PromptTokens { get; set; }
    public long CompletionTokens { get; set; }
    public decimal Cost { get; set; }
    public int Calls { get; set; }
    public double ModelMilliseconds { get; set; }
    public long Sequence { get; set; }
    /// <summary>running, waiting, completed or failed.</summary>
    public string Status { get; set; } = "running";
    public DateTimeOffset Updated { get; set; }

    public NodeState Node(string id) => Nodes.TryGetValue(id, out var n) ? n : Nodes[id] = new NodeState();

    public RunMeter NewMeter()
    {
        var meter = new RunMeter(BudgetTokens);
        if (PromptTokens + CompletionTokens > 0 || Calls > 0) meter.Add("resumed", PromptTokens, CompletionTokens, Cost, false, ModelMilliseconds);
        return meter;
    }

    public void Record(RunMeter meter)
    {
        PromptTokens = meter.PromptTokens;
        CompletionTokens = meter.CompletionTokens;
        Cost = meter.Cost;
        Calls = meter.Calls;
        ModelMilliseconds = meter.ModelMilliseconds;
    }

    public TeamRequest Request(RunMeter meter) => new(RunId, Task, ContextPrompt, Masks, Principles,
        AgentPrinciples.ToDictionary(p => p.Key, p => (IReadOnlyList<WeightedPrinciple>)p.Value, StringComparer.Ordinal), meter);
}

/// <summary>Checkpoints of workflow runs: <c>runs/&lt;run-id&gt;.checkpoint.json</c> in the workspace, written atomically (temp file, then rename).</summary>
public sealed class WorkflowCheckpoints(string directory)
{
    public string Directory { get; } = directory;

    public string PathFor(string runId) => Path.Combine(Directory, (RunId.IsValid(runId) ? runId : throw new InvalidInputException($"'{runId}' is not a run id")) + ".checkpoint.json");

    public bool Exists(string runId) => RunId.IsValid(runId) && File.Exists(PathFor(runId));

    public void Save(WorkflowState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        System.IO.Directory.CreateDirectory(Directory);
        var path = PathFor(state.RunId);
        var temp = path + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp";
        using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
        {
            JsonSerializer.Serialize(stream, state, WorkflowState.Json);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }

    public WorkflowState Load(string runId)
    {
        if (!Exists(runId))
            throw new NotFoundException($"Run {runId} has no workflow checkpoint; only runs of the agent team or a workflow (`minime ask`, `minime workflow run`, `minime ask --workflow`) can be resumed; a dry run has nothing to resume.");
        try
        {
            return JsonSerializer.Deserialize<WorkflowState>(File.ReadAllText(PathFor(runId)), WorkflowState.Json)
                ?? throw new JsonException("empty");
        }
        catch (JsonException e)
        {
            throw new MiniMe.Configuration.ConfigException($"The checkpoint of run {runId} ({PathFor(runId)}) is not readable: {e.Message}", e);
        }
    }

    /// <summary>The status in the checkpoint, or null without one.</summary>
    public string? StatusOf(string runId)
    {
        if (!Exists(runId)) return null;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(PathFor(runId)));
            return doc.RootElement.TryGetProperty("status", out var s) ? s.GetString() : null;
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            return null;
        }
    }
}
