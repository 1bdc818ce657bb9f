using System.Globalization;
using System.Text.Json.Nodes;
using MiniMe.Agents;
using MiniMe.Hosting.Users;
using MiniMe.Reflection;
using MiniMe.Server.Chat;

namespace MiniMe.Server.Reflection;

/// <summary>What to reflect on (exactly one of run, fact, text) and by whom (null: reflect.perspectives).</summary>
public sealed record ReflectRequest(string? RunId, long? FactId, string? Text, string? Perspectives = null);

/// <summary>
/// `minime reflect` and POST /v1/reflect: loads the subject from the user's space (a run's trace through its
/// TraceStore, a fact with its history from the fact store, or the text), and runs the reflection panel as a
/// run of that user over the model pipeline, with the embedding model for the disagreement index when
/// embeddings are on (reflect.embeddings). Registered once in the personal layer for both faces.
/// </summary>
public sealed class ReflectionService(UserSpaces spaces, ReflectionOptions options, AgentTeamOptions agents, TimeProvider time)
{
    public const string NoModel = "Reflection needs a model and none is configured (llm.provider: none). Set llm.provider and llm.model in config.yaml; `minime doctor` checks the setup.";

    /// <summary>The workspace owner's id (the user the CLI speaks for).</summary>
    public string OwnerId => spaces.OwnerId;

    public async Task<ReflectionResult> ReflectAsync(string userId, ReflectRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var given = (request.RunId is not null ? 1 : 0) + (request.FactId is not null ? 1 : 0) + (request.Text is not null ? 1 : 0);
        if (given != 1)
            throw new InvalidInputException(given == 0
                ? "Say what to reflect on: a run id, a fact id or a text (--run RUN_ID | --fact ID | --text TEXT)."
                : "Reflect on one subject at a time: give only one of a run id, a fact id or a text.");
        if (request.FactId is <= 0) throw new InvalidInputException($"'{request.FactId}' is not a fact id; ids are positive numbers such as 12 (see `minime facts list`).");
        var perspectives = Perspectives.Parse(request.Perspectives ?? options.Perspectives);
        var space = spaces.Get(userId);
        var subject = request.RunId is { } runId ? ReflectionSubjects.FromRun(space.Traces, runId)
            : request.FactId is { } factId ? await ReflectionSubjects.FromFactAsync(await space.FactStoreAsync(cancellationToken).ConfigureAwait(false), factId, cancellationToken).ConfigureAwait(false)
            : ReflectionSubjects.FromText(request.Text);
        var chat = space.Chat ?? throw new ModelUnavailableException(NoModel);
        var panel = new ReflectionPanel(chat, agents, space.Traces, options.Embeddings ? space.Embeddings : null, time);
        return await panel.RunAsync(subject, perspectives, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The one JSON shape of a result, for POST /v1/reflect and `minime reflect --json`.</summary>
    public static JsonObject ToJson(ReflectionResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var json = new JsonObject { ["run_id"] = result.RunId, ["status"] = result.Status };
        foreach (var (key, value) in ReflectionPanel.ToJson(result)) json[key] = value?.DeepClone();
        if (result.Totals is { } t)
            json["totals"] = new JsonObject
            {
                ["prompt_tokens"] = t.PromptTokens,
                ["completion_tokens"] = t.CompletionTokens,
                ["total_tokens"] = t.TotalTokens,
                ["cost"] = t.Cost,
                ["model_calls"] = t.ModelCalls,
                ["usage_estimated"] = t.UsageEstimated,
                ["elapsed_ms"] = Math.Round(t.Elapsed.TotalMilliseconds, 2),
            };
        return json;
    }

    /// <summary>"0.42" for the CLI.</summary>
    public static string Format(double value) => value.ToString("0.00", CultureInfo.InvariantCulture);
}
