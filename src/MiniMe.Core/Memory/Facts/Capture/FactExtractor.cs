using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using MiniMe.Agents;
using MiniMe.Agents.Json;
using MiniMe.ModelCalls;
using MiniMe.Tracing;

namespace MiniMe.Memory.Facts.Capture;

/// <summary>One fact the extraction model proposed, as validated.</summary>
public sealed record ProposedFact(string Text, string? Category, double Confidence, bool Explicit, double DecisionWeight, double EmotionalWeight, string? Evidence);

/// <summary>What an extraction gave: the proposals, the repairs made to the answer, and the attempts it took.</summary>
public sealed record ExtractionResult(IReadOnlyList<ProposedFact> Facts, IReadOnlyList<string> Repairs, int Attempts);

/// <summary>The extraction answered nothing usable after every attempt; <see cref="Errors"/> say why.</summary>
public sealed class FactExtractionException(int attempts, IReadOnlyList<string> errors)
    : Exception($"the extraction answer was not usable after {attempts} attempt(s): {string.Join("; ", errors)}")
{
    public IReadOnlyList<string> Errors { get; } = errors;
}

/// <summary>
/// The extraction step of fact capture: one model call with a JSON schema (facts: text, category, confidence,
/// explicit, decision_weight, emotional_weight, evidence), its answer read and repaired like the agents' outputs
/// (<see cref="JsonRepair"/>, <see cref="JsonSchemaValidator"/>) and, when still invalid, asked again with the
/// errors (<paramref name="repairAttempts"/> times, as llm.maxRepairAttempts does for agents). Each call is
/// traced by the model pipeline as agent_call by "fact_capture".
/// </summary>
public sealed class FactExtractor(IChatClient chat, int repairAttempts, bool jsonResponseFormat, int maxChars)
{
    public const string AgentName = "fact_capture";

    /// <summary>The schema the answer must match.</summary>
    public static readonly JsonObject Schema = (JsonObject)JsonNode.Parse(
        """
        {
          "type": "object",
          "required": ["facts"],
          "properties": {
            "facts": {
              "type": "array",
              "items": {
                "type": "object",
                "required": ["text", "confidence", "explicit"],
                "properties": {
                  "text": { "type": "string", "minLength": 3 },
                  "category": { "type": ["string", "null"] },
                  "confidence": { "type": "number", "minimum": 0, "maximum": 1 },
                  "explicit": { "type": "boolean" },
                  "decision_weight": { "type": "number", "minimum": 0, "maximum": 1 },
                  "emotional_weight": { "type": "number", "minimum": 0, "maximum": 1 },
                  "evidence": { "type": ["string", "null"] }
                }
              }
            }
          }
        }
        """)!;

    public const string Instructions =
        "You find durable facts about the user in what they just said to MiniMe: preferences, habits, circumstances, " +
        "decisions, goals, people and tools in their life. Not facts about the world, not what MiniMe said, not one-off requests. " +
        "Write each fact as a short statement without the subject, in the user's terms (\"prefers tabs over spaces\", \"lives in Lyon\", " +
        "\"is allergic to peanuts\"). category: one lower-case word (preferences, personal, work, health, tools, ...). " +
        "confidence: how sure you are it is a lasting fact about the user (0-1). explicit: true when the user stated it about themselves " +
        "or asked you to remember it, false when you inferred it. decision_weight / emotional_weight: how much it records a decision / " +
        "a feeling (0-1). evidence: the user's words it comes from. " +
        "Reply with only a JSON object {\"facts\": [...]} (an empty list when there is nothing to remember): no prose, no code fences.";

    public async Task<ExtractionResult> ExtractAsync(string said, string? answer, string runId, TraceStore traces, RunMeter? meter, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(said);
        ArgumentNullException.ThrowIfNull(traces);
        var prompt = "The user said:\n" + said;
        if (!string.IsNullOrWhiteSpace(answer)) prompt += "\n\nMiniMe answered (context only; do not take facts from it):\n" + Clip(answer, 2000);
        var messages = new List<ChatMessage> { new(ChatRole.System, Instructions), new(ChatRole.User, prompt) };
        var options = new ChatOptions { Temperature = 0, ResponseFormat = jsonResponseFormat ? ChatResponseFormat.Json : null };
        IReadOnlyList<string> errors = [];
        var repairs = new List<string>();
        for (var attempt = 0; attempt <= repairAttempts; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            string text;
            using (ModelCall.Begin(new ModelCallInfo(runId, AgentName, Attempt: attempt, Traces: traces, Meter: meter)))
                text = (await chat.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false)).Text;
            var read = JsonRepair.Read(text);
            repairs.AddRange(read.Repairs);
            errors = read.Error is { } parseError ? [parseError] : JsonSchemaValidator.Validate(read.Value, Schema);
            if (errors.Count == 0)
                return new ExtractionResult([.. Read(read.Value!)], repairs, attempt + 1);
            messages.Add(new ChatMessage(ChatRole.Assistant, text));
            messages.Add(new ChatMessage(ChatRole.User,
                "Your answer could not be used:\n- " + string.Join("\n- ", errors) +
                "\nReply again with only the corrected JSON object matching the schema: no prose, no code fences."));
        }
        throw new FactExtractionException(repairAttempts + 1, errors);
    }

    /// <summary>The valid proposals; one too long for a fact (facts.maxChars) or with an unusable category is taken without it or dropped.</summary>
    private IEnumerable<ProposedFact> Read(JsonObject value)
    {
        foreach (var item in value["facts"]!.AsArray().OfType<JsonObject>())
        {
            var text = FactText.Normalize(item["text"]!.GetValue<string>());
            if (text.Length == 0 || text.Length > maxChars || FactText.Words(text).Count == 0) continue;
            var category = item["category"] is JsonValue c && c.TryGetValue<string>(out var name) && IsCategory(name) ? name.Trim().ToLowerInvariant() : null;
            yield return new ProposedFact(text, category,
                Number(item["confidence"]), item["explicit"]!.GetValue<bool>(),
                Number(item["decision_weight"]), Number(item["emotional_weight"]),
                item["evidence"] is JsonValue e && e.TryGetValue<string>(out var evidence) && evidence.Trim().Length > 0 ? evidence.Trim() : null);
        }
    }

    private static bool IsCategory(string name)
    {
        try
        {
            FactText.NormalizeCategory(name);
            return !string.IsNullOrWhiteSpace(name);
        }
        catch (InvalidInputException)
        {
            return false;
        }
    }

    private static double Number(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<double>(out var d) ? d
        : node is JsonValue s && s.TryGetValue<string>(out var text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) ? parsed
        : 0;

    private static string Clip(string text, int chars) => text.Length <= chars ? text : text[..chars] + "…";
}
