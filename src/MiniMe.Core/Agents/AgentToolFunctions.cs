using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using MiniMe.Tracing;

namespace MiniMe.Agents;

/// <summary>
/// The read-only tools of one agent call, as <see cref="AIFunction"/>s for function invocation
/// (<see cref="FunctionInvokingChatClient"/>): at most <see cref="AgentTeamOptions.MaxToolCalls"/> calls
/// (further ones are answered "limit reached: answer now"), each result cut to
/// <see cref="AgentTeamOptions.MaxToolResultBytes"/> with a "truncated" notice, and every call, refused
/// ones included, traced as agent_tool_call {agent, tool, arguments (redacted), bytes, ms, error}.
/// Only definitions marked read-only become functions, and those that propose (<see cref="AgentToolDefinition.Proposes"/>):
/// calling one runs nothing; the call joins the run's proposals (<see cref="ProposedToolCalls"/>) and waits for approval.
/// </summary>
internal sealed class AgentToolSession
{
    private readonly IAgentToolbox _toolbox;
    private readonly AgentTeamOptions _options;
    private readonly TraceStore _traces;
    private readonly string _runId;
    private readonly string _agent;
    private readonly ProposedToolCalls? _proposed;
    private int _calls;

    public AgentToolSession(IAgentToolbox toolbox, AgentTeamOptions options, TraceStore traces, string runId, string agent, ProposedToolCalls? proposed = null)
    {
        _toolbox = toolbox;
        _options = options;
        _traces = traces;
        _runId = runId;
        _agent = agent;
        _proposed = proposed;
        Functions = [.. toolbox.Tools.Where(t => t.ReadOnly || (t.Proposes && proposed is not null)).Select(t => (AITool)new ToolFunction(this, t))];
        Offered = new HashSet<string>(Functions.Select(f => f.Name), StringComparer.Ordinal);
    }

    public IReadOnlyList<AITool> Functions { get; }

    public IReadOnlySet<string> Offered { get; }

    public int Calls => Volatile.Read(ref _calls);

    /// <summary>A call of a function that was never offered (function invocation answers it "not found"): traced as refused.</summary>
    public void NotOffered(FunctionCallContent call)
    {
        Interlocked.Increment(ref _calls);
        Trace(call.Name, Arguments(call.Arguments), 0, 0, $"{call.Name} is not offered: agents may only call read-only tools ({string.Join(", ", Offered.Order(StringComparer.Ordinal))}); changes go through proposals");
    }

    /// <summary>The model refused a request that offered tools: traced; the call is made again without them.</summary>
    public void Rejected(string reason) =>
        Trace("*", new JsonObject(), 0, 0, $"the model refused a request with tools ({reason}); asked again without tools, and no more tools for this run (set agents.tools: false for this model)");

    private async ValueTask<object?> InvokeAsync(AgentToolDefinition tool, AIFunctionArguments arguments, CancellationToken cancellationToken)
    {
        var json = Arguments(arguments);
        var count = Interlocked.Increment(ref _calls);
        if (count > _options.MaxToolCalls)
        {
            var limit = $"tool call limit reached ({_options.MaxToolCalls} per agent call, agents.maxToolCalls): answer now with the JSON object";
            Trace(tool.Name, json, 0, 0, limit);
            return "error: " + limit;
        }
        if (!tool.ReadOnly)
        {
            var id = _proposed!.Add(_runId, tool.Name, json, _agent);
            var proposed = $"proposed as {id}: nothing ran; it runs only if the user approves it after the run. Do not call it again; go on with your answer.";
            Trace(tool.Name, json, 0, 0, null, id);
            return proposed;
        }
        var clock = Stopwatch.StartNew();
        string text;
        string? error = null;
        try
        {
            var result = await _toolbox.CallAsync(tool.Name, json, cancellationToken).ConfigureAwait(false);
            text = Cap(result.ToJsonString(JsonFormats.Line), _options.MaxToolResultBytes);
        }
        catch (AgentToolException e)
        {
            error = e.Message;
            text = "error: " + e.Message;
        }
        clock.Stop();
        Trace(tool.Name, json, error is null ? Encoding.UTF8.GetByteCount(text) : 0, clock.Elapsed.TotalMilliseconds, error);
        return text;
    }

    /// <summary>The text cut to <paramref name="maxBytes"/> UTF-8 bytes, with a notice saying so.</summary>
    internal static string Cap(string text, int maxBytes)
    {
        if (Encoding.UTF8.GetByteCount(text) <= maxBytes) return text;
        var notice = $"\n[truncated: the result is longer than {maxBytes} bytes (agents.maxToolResultBytes); ask for less, e.g. a line range]";
        var keep = Math.Max(0, maxBytes - Encoding.UTF8.GetByteCount(notice));
        var length = Math.Min(text.Length, keep);
        while (length > 0 && Encoding.UTF8.GetByteCount(text.AsSpan(0, length)) > keep) length = length * 9 / 10;
        if (length > 0 && char.IsHighSurrogate(text[length - 1])) length--;
        return text[..length] + notice;
    }

    private void Trace(string tool, JsonObject arguments, int bytes, double ms, string? error, string? proposal = null)
    {
        var data = new JsonObject
        {
            ["agent"] = _agent,
            ["tool"] = tool,
            ["arguments"] = SecretRedactor.Redact(arguments),
            ["bytes"] = bytes,
            ["ms"] = Math.Round(ms, 1),
            ["error"] = error,
        };
        if (proposal is not null) data["proposed"] = proposal;
        _traces.AppendBatched(_runId, TraceEventTypes.AgentToolCall, data);
    }

    private static JsonObject Arguments(IEnumerable<KeyValuePair<string, object?>>? arguments)
    {
        var json = new JsonObject();
        if (arguments is null) return json;
        foreach (var (name, value) in arguments)
            json[name] = value switch
            {
                null => null,
                JsonElement element => JsonNode.Parse(element.GetRawText()),
                JsonNode node => node.DeepClone(),
                string s => s,
                bool b => b,
                int i => i,
                long l => l,
                double d => d,
                _ => JsonValue.Create(value.ToString()),
            };
        return json;
    }

    private sealed class ToolFunction(AgentToolSession session, AgentToolDefinition tool) : AIFunction
    {
        public override string Name => tool.Name;
        public override string Description => tool.Description;
        public override JsonElement JsonSchema => tool.ParametersSchema;

        protected override ValueTask<object?> InvokeCoreAsync(AIFunctionArguments arguments, CancellationToken cancellationToken) =>
            session.InvokeAsync(tool, arguments, cancellationToken);
    }
}

/// <summary>
/// The calls agents made of tools that only propose (<see cref="AgentToolDefinition.Proposes"/>), per run, in order:
/// the team adds them to the run's proposals after the Integrator's, numbered on from them.
/// </summary>
public sealed class ProposedToolCalls
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, List<(string Tool, JsonObject Arguments, string Agent)>> _runs = new(StringComparer.Ordinal);

    /// <summary>Records a call and returns the id it is known by until the proposals are numbered ("call N").</summary>
    public string Add(string runId, string tool, JsonObject arguments, string agent)
    {
        var calls = _runs.GetOrAdd(runId, _ => []);
        lock (calls)
        {
            calls.Add((tool, (JsonObject)arguments.DeepClone(), agent));
            return "call " + calls.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    /// <summary>The run's proposed calls as proposals p{first}, p{first+1}, ...; forgotten here.</summary>
    public IReadOnlyList<MiniMe.Actions.ActionProposal> Take(string runId, int first)
    {
        if (!_runs.TryRemove(runId, out var calls)) return [];
        lock (calls)
            return [.. calls.Select((c, i) => new MiniMe.Actions.ActionProposal(
                "p" + (first + i).ToString(System.Globalization.CultureInfo.InvariantCulture), c.Tool, c.Arguments,
                $"{c.Agent} called {c.Tool} while it worked; proposed for approval instead of run", c.Agent))];
    }
}
