using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using MiniMe.Agents;
using MiniMe.Agents.Json;
using MiniMe.Configuration;
using MiniMe.Hosting.Users;
using MiniMe.Memory;
using MiniMe.Memory.Facts;
using MiniMe.Memory.Lexical;
using MiniMe.Memory.Retrieval;
using MiniMe.ModelCalls;
using MiniMe.Server.Chat;
using MiniMe.Tracing;

namespace MiniMe.Server.Goals;

/// <summary>One next action towards a goal; <see cref="MilestoneId"/> names the milestone it advances, if any.</summary>
public sealed record GoalSuggestion(string Action, string Why, string? MilestoneId);

/// <summary>The model's suggestions for a goal, and the run (trace) that produced them.</summary>
public sealed record GoalSuggestions(string GoalId, string RunId, IReadOnlyList<GoalSuggestion> Suggestions);

/// <summary>
/// Suggests next actions for a goal: one model call through the user's model pipeline with the goal,
/// its milestones and links, and the memory chunks and facts relevant to it, answered as JSON under a
/// schema. The answer is read with <see cref="JsonRepair"/> and checked with <see cref="JsonSchemaValidator"/>
/// (and every milestone_id must be one of the goal's); an answer that stays invalid is asked again once,
/// with the errors. The whole is a run in the user's traces (task_start, retrieval, agent_call,
/// agent_output, run_end), so `minime runs` lists it. Without a model there are no suggestions.
/// </summary>
public sealed class GoalSuggester(GoalStore goals, UserSpaces users, MiniMeOptions options, TimeProvider time)
{
    public const string Agent = "goal_suggester";

    /// <summary>Re-asks after an answer that could not be used.</summary>
    public const int Retries = 1;

    private const int MemoryChunks = 4;
    private const int MaxFacts = 5;
    private const int MaxSnippetChars = 600;

    public const string NoModelDetail =
        "No suggestions: no model is configured (llm.provider is none). Set llm.provider (openai, ollama or anthropic), llm.model and llm.endpoint " +
        "in config.yaml or MINIME_LLM__PROVIDER / MINIME_LLM__MODEL / MINIME_LLM__ENDPOINT, then ask again (restart `minime serve` for the API).";

    private const string Instructions =
        "You help the user reach one of their goals. From the goal, its milestones and what is known about the user, suggest 1 to 5 concrete next actions, " +
        "most useful first, each doable within a day or two. Answer with only a JSON object matching this schema, no prose, no code fences:\n";

    public static JsonObject Schema { get; } = new()
    {
        ["type"] = "object",
        ["required"] = new JsonArray("suggestions"),
        ["additionalProperties"] = false,
        ["properties"] = new JsonObject
        {
            ["suggestions"] = new JsonObject
            {
                ["type"] = "array",
                ["minItems"] = 1,
                ["maxItems"] = 5,
                ["items"] = new JsonObject
                {
                    ["type"] = "object",
                    ["required"] = new JsonArray("action", "why"),
                    ["additionalProperties"] = false,
                    ["properties"] = new JsonObject
                    {
                        ["action"] = new JsonObject { ["type"] = "string", ["minLength"] = 1 },
                        ["why"] = new JsonObject { ["type"] = "string", ["minLength"] = 1 },
                        ["milestone_id"] = new JsonObject { ["type"] = new JsonArray("string", "null") },
                    },
                },
            },
        },
    };

    public async Task<GoalSuggestions> SuggestAsync(string userId, string goalId, CancellationToken cancellationToken)
    {
        var goal = goals.Require(userId, goalId);
        var space = users.Get(userId);
        var client = space.Chat ?? throw new ModelUnavailableException(NoModelDetail);
        var traces = space.Traces;
        var runId = RunId.New(time.GetUtcNow());
        var clock = Stopwatch.StartNew();
        var meter = RunMeter.Unbudgeted();
        traces.AppendBatched(runId, TraceEventTypes.TaskStart, new JsonObject
        {
            ["task"] = $"suggest next actions for goal {goal.Id}: {goal.Title}",
            ["mode"] = "goal_suggestions",
            ["goal_id"] = goal.Id,
        });
        try
        {
            var (memory, facts) = await RelevantAsync(space, goal, runId, cancellationToken).ConfigureAwait(false);
            var messages = new List<ChatMessage>
            {
                new(ChatRole.System, Instructions + Schema.ToJsonString()),
                new(ChatRole.User, Prompt(goal, memory, facts)),
            };
            IReadOnlyList<string> errors = [];
            for (var attempt = 0; attempt <= Retries; attempt++)
            {
                var text = await CallAsync(client, messages, goal.Id, runId, attempt, traces, meter, cancellationToken).ConfigureAwait(false);
                var read = JsonRepair.Read(text);
                errors = read.Error is { } parseError ? [parseError] : Check(read.Value!, goal);
                traces.AppendBatched(runId, TraceEventTypes.AgentOutput, new JsonObject
                {
                    ["agent"] = Agent,
                    ["attempt"] = attempt,
                    ["valid"] = errors.Count == 0,
                    ["repaired"] = read.Repairs.Count > 0,
                    ["repairs"] = new JsonArray([.. read.Repairs.Select(r => (JsonNode?)r)]),
                    ["errors"] = new JsonArray([.. errors.Select(e => (JsonNode?)e)]),
                    ["output"] = errors.Count == 0 ? read.Value!.DeepClone() : ModelCallTraceChatClient.Truncate(text),
                });
                if (errors.Count == 0)
                {
                    var suggestions = Suggestions(read.Value!);
                    End(traces, runId, "completed", meter, clock, suggestions.Count);
                    return new GoalSuggestions(goal.Id, runId, suggestions);
                }
                messages.Add(new ChatMessage(ChatRole.Assistant, text));
                messages.Add(new ChatMessage(ChatRole.User,
                    "Your answer could not be used:\n- " + string.Join("\n- ", errors) +
                    "\nReply again with only the corrected JSON object matching the schema: no prose, no code fences."));
            }
            throw new AgentOutputException(Agent, Retries + 1, errors);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            traces.AppendBatched(runId, TraceEventTypes.Error, new JsonObject { ["type"] = e.GetType().Name, ["message"] = SecretRedactor.RedactText(e.Message) });
            End(traces, runId, "error", meter, clock, 0);
            throw;
        }
        catch (OperationCanceledException)
        {
            End(traces, runId, "cancelled", meter, clock, 0);
            throw;
        }
    }

    private async Task<string> CallAsync(IChatClient client, List<ChatMessage> messages, string goalId, string runId, int attempt, TraceStore traces, RunMeter meter,
        CancellationToken cancellationToken)
    {
        using var call = ModelCall.Begin(new ModelCallInfo(runId, Agent, Attempt: attempt, Traces: traces, Meter: meter)
        {
            TraceData = new JsonObject { ["goal_id"] = goalId },
        });
        var response = await client.GetResponseAsync(messages, new ChatOptions
        {
            ModelId = options.Llm.Model,
            Temperature = 0.3f,
            ResponseFormat = ChatResponseFormat.Json,
        }, cancellationToken).ConfigureAwait(false);
        return response.Text;
    }

    /// <summary>The memory chunks and facts that share words with the goal (BM25, plus vectors when configured), traced as the run's retrieval.</summary>
    private static async Task<(IReadOnlyList<SearchHit> Memory, IReadOnlyList<FactHit> Facts)> RelevantAsync(
        UserSpace space, Goal goal, string runId, CancellationToken cancellationToken)
    {
        var query = string.Join(' ', [goal.Title, goal.Description, .. goal.Milestones.Where(m => m.Status == MilestoneStatuses.Open).Select(m => m.Title)]);
        if (FtsQueryBuilder.Build(query) is null) return ([], []);
        var retriever = await space.RetrieverAsync(cancellationToken).ConfigureAwait(false);
        var retrieval = await retriever.RetrieveAsync(new RetrievalRequest(query, MemoryChunks, SearchFilter.None, RetrievalBoosts.None), cancellationToken).ConfigureAwait(false);
        var factRetriever = await space.FactRetrieverAsync(cancellationToken).ConfigureAwait(false);
        var facts = await factRetriever.RetrieveAsync(query, MaxFacts, cancellationToken).ConfigureAwait(false);
        space.Traces.AppendBatched(runId, TraceEventTypes.Retrieval, new JsonObject
        {
            ["query"] = query,
            ["mode"] = retrieval.Mode,
            ["hits"] = new JsonArray([.. retrieval.Hits.Select(h => (JsonNode?)new JsonObject { ["id"] = h.Id, ["source"] = h.Source, ["score"] = Math.Round(h.Score, 6) })]),
            ["facts"] = new JsonArray([.. facts.Select(f => (JsonNode?)new JsonObject { ["id"] = f.Fact.Id, ["category"] = f.Fact.Category, ["score"] = Math.Round(f.Score, 6) })]),
        });
        return (retrieval.Hits, facts);
    }

    private static string Prompt(Goal goal, IReadOnlyList<SearchHit> memory, IReadOnlyList<FactHit> facts)
    {
        var text = new StringBuilder();
        text.Append("Goal: ").Append(goal.Title).Append('\n');
        if (goal.Description.Length > 0) text.Append("Description: ").Append(goal.Description).Append('\n');
        text.Append("Progress: ").Append(goal.Progress.ToString(CultureInfo.InvariantCulture)).Append("%\n");
        if (goal.Deadline is { } deadline) text.Append("Deadline: ").Append(GoalValues.Format(deadline)).Append('\n');
        if (goal.Milestones.Count > 0)
        {
            text.Append("Milestones (id, status, title):\n");
            foreach (var m in goal.Milestones)
                text.Append("- ").Append(m.Id).Append(", ").Append(m.Status).Append(", ").Append(m.Title)
                    .Append(m.Due is { } due ? $" (due {GoalValues.Format(due)})" : "").Append('\n');
        }
        else
        {
            text.Append("No milestones yet (milestone_id must then be null).\n");
        }
        if (facts.Count > 0)
        {
            text.Append("What is known about the user:\n");
            foreach (var f in facts) text.Append("- ").Append(f.Fact.Text).Append('\n');
        }
        if (memory.Count > 0)
        {
            text.Append("From the user's memory:\n");
            foreach (var hit in memory)
                text.Append("- (").Append(hit.Source).Append(") ").Append(hit.Text.Length > MaxSnippetChars ? hit.Text[..MaxSnippetChars] + "…" : hit.Text).Append('\n');
        }
        return text.ToString();
    }

    /// <summary>The schema's errors, and any milestone_id that is not one of the goal's.</summary>
    private static List<string> Check(JsonObject value, Goal goal)
    {
        var errors = new List<string>(JsonSchemaValidator.Validate(value, Schema));
        if (errors.Count > 0 || value["suggestions"] is not JsonArray items) return errors;
        var ids = goal.Milestones.Select(m => m.Id).ToHashSet(StringComparer.Ordinal);
        for (var i = 0; i < items.Count; i++)
            if (items[i]?["milestone_id"] is JsonValue id && id.GetValue<string>() is var mid && !ids.Contains(mid))
                errors.Add($"$.suggestions[{i}].milestone_id: '{mid}' is not one of the goal's milestones ({(ids.Count == 0 ? "it has none; use null" : string.Join(", ", ids))})");
        return errors;
    }

    private static List<GoalSuggestion> Suggestions(JsonObject value) =>
    [
        .. value["suggestions"]!.AsArray().Select(s => new GoalSuggestion(
            s!["action"]!.GetValue<string>().Trim(),
            s["why"]!.GetValue<string>().Trim(),
            s["milestone_id"] is JsonValue id ? id.GetValue<string>() : null)),
    ];

    private static void End(TraceStore traces, string runId, string status, RunMeter meter, Stopwatch clock, int suggestions) =>
        traces.Append(runId, TraceEventTypes.RunEnd, new JsonObject
        {
            ["status"] = status,
            ["suggestions"] = suggestions,
            ["prompt_tokens"] = meter.PromptTokens,
            ["completion_tokens"] = meter.CompletionTokens,
            ["total_tokens"] = meter.TotalTokens,
            ["cost"] = meter.Cost,
            ["model_calls"] = meter.Calls,
            ["usage_estimated"] = meter.Estimated,
            ["elapsed_ms"] = Math.Round(clock.Elapsed.TotalMilliseconds, 2),
        });
}
