using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using MiniMe.Tracing;

namespace MiniMe.Replay;

/// <summary>A run's model-call recording cannot be read: a line that is not a recorded call.</summary>
public sealed class DamagedRecordingException(string message, Exception? inner = null) : MiniMeException(ErrorCategory.Damaged, message, inner);

/// <summary>
/// One recorded model call (a line of <c>runs/RUN_ID/model-calls.jsonl</c>): its position in the run,
/// who made it (agent, round, re-ask attempt, named model), the SHA-256 of the unredacted request, the
/// request and the response with secrets redacted, and how the call ended.
/// </summary>
public sealed record RecordedModelCall(
    int Index,
    string Agent,
    int Iteration,
    int Attempt,
    string? ModelName,
    string? Model,
    bool Streamed,
    string Hash,
    string Status,
    JsonObject Request,
    JsonObject? Response,
    string? ErrorType,
    string? Error)
{
    public JsonObject ToJson() => new()
    {
        ["index"] = Index,
        ["agent"] = Agent,
        ["iteration"] = Iteration,
        ["attempt"] = Attempt,
        ["model_name"] = ModelName,
        ["model"] = Model,
        ["streamed"] = Streamed,
        ["hash"] = Hash,
        ["status"] = Status,
        ["request"] = Request.DeepClone(),
        ["response"] = Response?.DeepClone(),
        ["error_type"] = ErrorType,
        ["error"] = Error,
    };

    /// <summary>Reads one line; throws <see cref="FormatException"/> naming what is wrong.</summary>
    public static RecordedModelCall Parse(string line)
    {
        JsonObject obj;
        try
        {
            obj = JsonNode.Parse(line) as JsonObject ?? throw new FormatException("not a JSON object");
        }
        catch (JsonException e)
        {
            throw new FormatException("not JSON (" + e.Message.Split('.')[0] + ")", e);
        }
        try
        {
            var hash = obj["hash"]?.GetValue<string>();
            if (hash is not { Length: 64 } || !hash.All(Uri.IsHexDigit)) throw new FormatException("no request hash");
            return new RecordedModelCall(
                obj["index"]?.GetValue<int>() ?? throw new FormatException("no index"),
                obj["agent"]?.GetValue<string>() ?? throw new FormatException("no agent"),
                obj["iteration"]?.GetValue<int>() ?? 0,
                obj["attempt"]?.GetValue<int>() ?? 0,
                obj["model_name"]?.GetValue<string>(),
                obj["model"]?.GetValue<string>(),
                obj["streamed"]?.GetValue<bool>() ?? false,
                hash,
                obj["status"]?.GetValue<string>() ?? throw new FormatException("no status"),
                obj["request"] as JsonObject ?? throw new FormatException("no request"),
                obj["response"] as JsonObject,
                obj["error_type"]?.GetValue<string>(),
                obj["error"]?.GetValue<string>());
        }
        catch (InvalidOperationException e)
        {
            throw new FormatException("a field has the wrong type (" + e.Message + ")", e);
        }
    }
}

/// <summary>
/// Where runs' model calls are recorded: <c>DIRECTORY/RUN_ID/model-calls.jsonl</c> (the workspace's
/// runs/ folder, beside the workflow checkpoints), one line per call as it ends, in the order calls end.
/// Secrets are redacted before writing; the hash is of the unredacted request.
/// </summary>
public sealed class ModelCallRecordings(string directory)
{
    public const string FileName = "model-calls.jsonl";

    private readonly ConcurrentDictionary<string, RunCounter> _counters = new(StringComparer.Ordinal);

    public string Directory { get; } = Path.GetFullPath(directory);

    public string PathFor(string runId) => Path.Combine(Directory,
        RunId.IsValid(runId) ? runId : throw new InvalidInputException($"'{runId}' is not a valid run id (letters, digits, '-' and '_' only)."), FileName);

    public bool Exists(string runId) => RunId.IsValid(runId) && File.Exists(PathFor(runId));

    /// <summary>Appends a call, numbered after the run's calls recorded before it (by this or an earlier process).</summary>
    public void Append(string runId, Func<int, RecordedModelCall> call)
    {
        ArgumentNullException.ThrowIfNull(call);
        var path = PathFor(runId);
        var counter = _counters.GetOrAdd(path, static p => new RunCounter(File.Exists(p) ? File.ReadLines(p).Count(l => l.Length > 0) : 0));
        lock (counter)
        {
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var record = call(counter.Next);
            JsonLinesFile.AppendLine(path, record.ToJson().ToJsonString(JsonFormats.Line));
            counter.Next++;
        }
    }

    /// <summary>The run's recorded calls in order; <see cref="NotFoundException"/> without a recording, <see cref="DamagedRecordingException"/> when a line cannot be read.</summary>
    public IReadOnlyList<RecordedModelCall> Load(string runId)
    {
        var path = PathFor(runId);
        if (!File.Exists(path))
            throw new NotFoundException($"Run {runId} has no model-call recording ({path}); only runs made since recording began can be replayed.");
        var calls = new List<RecordedModelCall>();
        var number = 0;
        foreach (var line in File.ReadLines(path))
        {
            number++;
            if (line.Length == 0) continue;
            try
            {
                calls.Add(RecordedModelCall.Parse(line));
            }
            catch (FormatException e)
            {
                throw new DamagedRecordingException($"The model-call recording {path} is damaged at line {number}: {e.Message}; run {runId} cannot be replayed.", e);
            }
        }
        return calls;
    }

    private sealed class RunCounter(int next)
    {
        public int Next = next;
    }
}
