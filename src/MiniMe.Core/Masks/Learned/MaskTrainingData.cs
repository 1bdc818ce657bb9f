using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using MiniMe.Identity;
using MiniMe.Tracing;

namespace MiniMe.Masks.Learned;

/// <summary>One run turned into a training pair: its features, the masks it should have had (normalized) and how much each head counts.</summary>
/// <param name="Signalled">True when feedback or an outcome said something about the run; false for a prior (the masks it ran with, weight <see cref="MaskTrainingData.PriorWeight"/>).</param>
public sealed record TrainingExample(string RunId, TaskProfile Profile, MaskContext Context, float[] Features, float[] Targets, float[] Weights, bool Signalled);

/// <summary>How many of each source the data set holds.</summary>
public sealed record TrainingDataCounts(int Runs, int RunsWithMasks, int FeedbackEntries, int MaskCorrections, int ActionCorrections, int Verdicts,
    int Outcomes, int SkippedFeedback, int Signalled, int Priors);

public sealed record TrainingData(IReadOnlyList<TrainingExample> Examples, TrainingDataCounts Counts);

/// <summary>
/// Builds the training set from the run traces (each run's mask_generation: profile, identity context and
/// the masks it ran with) and feedback.jsonl (docs/learning.md, "Data"). Per run, targets start at the
/// masks it ran with, weight 0; then, in this order:
/// <list type="bullet">
/// <item>outcomes (weight 0.5): the last critic review valid or an accepted action keeps the masks;
/// completed_with_violations: rigor +0.1, max_iterations +1; budget_exceeded: retrieval_k -2, max_iterations -1;</item>
/// <item>action corrections (0.5): a rejection rigor +0.1, critic +0.1, temperature -0.05; an edit rigor +0.05, temperature -0.05;</item>
/// <item>a verdict (--delta '{"verdict":"good|bad"}', 0.5): good keeps the masks; bad rigor +0.1, temperature -0.1, max_iterations +1;</item>
/// <item>mask corrections (weight 1): a field of the delta (alpha, beta, gamma, retrieval_k, retrieval_domain_weight,
/// retrieval_recency_weight, temperature, rigor, max_iterations, agent_routing.{architect,critic,integrator}; snake_case or
/// camelCase, optionally under "weights") as a number is the value it should have had; as a string "+0.1" / "-2" a change of the run's value.</item>
/// </list>
/// Every head nothing said anything about keeps the masks the run ran with at weight 0.1; a run without any signal is only that (a prior).
/// </summary>
public static class MaskTrainingData
{
    public const float CorrectionWeight = 1f;
    public const float ImplicitWeight = 0.5f;
    public const float PriorWeight = 0.1f;

    public static TrainingData Load(TraceStore traces, string feedbackPath, IdentityDocument identity)
    {
        ArgumentNullException.ThrowIfNull(traces);
        ArgumentNullException.ThrowIfNull(identity);
        var (feedback, skipped) = ReadFeedback(feedbackPath);
        var runs = traces.List();
        var examples = new List<TrainingExample>();
        int withMasks = 0, maskCorrections = 0, actionCorrections = 0, verdicts = 0, outcomes = 0;
        foreach (var run in runs.OrderBy(r => r.RunId, StringComparer.Ordinal))
        {
            var events = traces.Read(run.RunId);
            var masks = events.LastOrDefault(e => e.EventType == TraceEventTypes.MaskGeneration);
            if (masks is null || !TryReadRun(masks.Data, identity, out var profile, out var context, out var ran)) continue;
            withMasks++;
            var target = MaskHeads.Normalize(ran);
            var weight = new double[MaskHeads.Count];
            var signalled = false;

            if (ApplyOutcomes(events, target, weight)) { outcomes++; signalled = true; }
            foreach (var delta in feedback.GetValueOrDefault(run.RunId) ?? [])
            {
                switch (Text(delta["kind"]))
                {
                    case "action_rejected":
                        Adjust(target, weight, ("rigor", 0.1), ("agent_routing.critic", 0.1), ("temperature", -0.05));
                        actionCorrections++; signalled = true;
                        continue;
                    case "action_edited":
                        Adjust(target, weight, ("rigor", 0.05), ("temperature", -0.05));
                        actionCorrections++; signalled = true;
                        continue;
                }

                if (Text(delta["verdict"]) is { } said)
                {
                    if (string.Equals(said, "good", StringComparison.OrdinalIgnoreCase)) { Keep(weight, ImplicitWeight); verdicts++; signalled = true; }
                    else if (string.Equals(said, "bad", StringComparison.OrdinalIgnoreCase))
                    {
                        Adjust(target, weight, ("rigor", 0.1), ("temperature", -0.1), ("max_iterations", 1));
                        verdicts++; signalled = true;
                    }
                }

                if (ApplyCorrection(delta, target, weight)) { maskCorrections++; signalled = true; }
            }

            Keep(weight, PriorWeight); // what nothing corrected stays as it ran, weakly
            if (target[0] + target[1] + target[2] > 1)
            {
                // A correction asked for more than all of the layers: scale the three down to fit.
                var sum = target[0] + target[1] + target[2];
                for (var i = 0; i < 3; i++) target[i] /= sum;
            }
            target[3] = Math.Max(0, 1 - target[0] - target[1] - target[2]);
            weight[3] = (weight[0] + weight[1] + weight[2]) / 3;
            examples.Add(new TrainingExample(run.RunId, profile, context, MaskFeatures.Of(profile, context),
                [.. target.Select(t => (float)t)], [.. weight.Select(w => (float)w)], signalled));
        }

        var signalledCount = examples.Count(e => e.Signalled);
        return new TrainingData(examples, new TrainingDataCounts(runs.Count, withMasks, feedback.Values.Sum(l => l.Count) + skipped,
            maskCorrections, actionCorrections, verdicts, outcomes, skipped, signalledCount, examples.Count - signalledCount));
    }

    /// <summary>The profile, identity context and masks a mask_generation event recorded.</summary>
    public static bool TryReadRun(JsonObject data, IdentityDocument identity, out TaskProfile profile, out MaskContext context, out MaskWeights masks)
    {
        ArgumentNullException.ThrowIfNull(data);
        profile = null!;
        context = null!;
        masks = null!;
        if (data["weights"] is not JsonObject w || data["domain"] is not JsonValue domainValue || !domainValue.TryGetValue<string>(out var domain)) return false;
        profile = new TaskProfile(domain, Number(data["domain_confidence"]) ?? 0, Number(data["complexity"]) ?? 0, []);
        context = data["context"] is JsonObject c
            ? new MaskContext((int)(Number(c["principles"]) ?? 0), Number(c["principle_magnitude"]) ?? 0, (int)(Number(c["domain_principles"]) ?? 0))
            : MaskContext.From(identity, domain);
        var routing = new Dictionary<string, double>(StringComparer.Ordinal);
        if (w["agent_routing"] is JsonObject r)
            foreach (var (agent, value) in r)
                if (Number(value) is { } weight) routing[agent] = weight;
        masks = new MaskWeights
        {
            Alpha = Number(w["alpha"]) ?? 0,
            Beta = Number(w["beta"]) ?? 0,
            Gamma = Number(w["gamma"]) ?? 0,
            RetrievalK = (int)(Number(w["retrieval_k"]) ?? 8),
            RetrievalDomainWeight = Number(w["retrieval_domain_weight"]) ?? 0,
            RetrievalRecencyWeight = Number(w["retrieval_recency_weight"]) ?? 0,
            Temperature = Number(w["temperature"]) ?? 0.4,
            Rigor = Number(w["rigor"]) ?? 0.5,
            MaxIterations = (int)(Number(w["max_iterations"]) ?? 3),
            AgentRouting = routing,
        };
        return true;
    }

    private static (Dictionary<string, List<JsonObject>> ByRun, int Skipped) ReadFeedback(string path)
    {
        var byRun = new Dictionary<string, List<JsonObject>>(StringComparer.Ordinal);
        var skipped = 0;
        if (!File.Exists(path)) return (byRun, 0);
        foreach (var line in File.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonNode? node;
            try
            {
                node = JsonNode.Parse(line);
            }
            catch (JsonException)
            {
                skipped++;
                continue;
            }

            if (node is not JsonObject entry || entry["run_id"] is not JsonValue id || !id.TryGetValue<string>(out var runId) || entry["delta"] is not JsonObject delta)
            {
                skipped++;
                continue;
            }

            if (!byRun.TryGetValue(runId, out var list)) byRun[runId] = list = [];
            list.Add(delta);
        }
        return (byRun, skipped);
    }

    private static bool ApplyOutcomes(IReadOnlyList<TraceEvent> events, double[] target, double[] weight)
    {
        var any = false;
        var review = events.LastOrDefault(e => e.EventType == TraceEventTypes.CriticReview);
        var status = Text(events.LastOrDefault(e => e.EventType == TraceEventTypes.RunEnd)?.Data["status"]);
        if (status == "budget_exceeded")
        {
            Adjust(target, weight, ("retrieval_k", -2), ("max_iterations", -1));
            any = true;
        }
        else if (status == "completed_with_violations")
        {
            Adjust(target, weight, ("rigor", 0.1), ("max_iterations", 1));
            any = true;
        }
        else if (review?.Data["valid"] is JsonValue valid && valid.TryGetValue<bool>(out var passed) && passed)
        {
            Keep(weight, ImplicitWeight);
            any = true;
        }

        if (events.Any(e => e.EventType == TraceEventTypes.Approval && Text(e.Data["decision"]) == "accepted" &&
                                  !(e.Data["edited"] is JsonValue edited && edited.TryGetValue<bool>(out var wasEdited) && wasEdited)))
        {
            Keep(weight, ImplicitWeight);
            any = true;
        }
        return any;
    }

    private static bool ApplyCorrection(JsonObject delta, double[] target, double[] weight)
    {
        var any = false;
        foreach (var (key, value) in delta)
        {
            if (value is JsonObject nested && Canonical(key) is "weights" or "masks")
            {
                any |= ApplyCorrection(nested, target, weight);
                continue;
            }

            if (value is JsonObject routing && Canonical(key) == "agentrouting")
            {
                foreach (var (agent, agentValue) in routing) any |= Set("agent_routing." + agent.ToLowerInvariant(), agentValue, target, weight);
                continue;
            }

            var head = MaskHeads.All.FirstOrDefault(h => h.Name != "global" && Canonical(h.Name) == Canonical(key))?.Name
                       ?? (Canonical(key) is "k" ? "retrieval_k" : null);
            if (head is not null) any |= Set(head, value, target, weight);
        }
        return any;
    }

    private static bool Set(string head, JsonNode? value, double[] target, double[] weight)
    {
        var i = MaskHeads.IndexOf(head);
        if (i < 0 || value is not JsonValue v) return false;
        var spec = MaskHeads.All[i];
        if (v.TryGetValue<string>(out var text))
        {
            if (text.Length < 2 || text[0] is not ('+' or '-') ||
                !double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var change) || !double.IsFinite(change)) return false;
            target[i] = spec.Normalize(spec.Denormalize(target[i]) + change);
        }
        else if (Number(v) is { } absolute)
        {
            target[i] = spec.Normalize(absolute);
        }
        else
        {
            return false;
        }
        weight[i] = CorrectionWeight;
        return true;
    }

    private static void Adjust(double[] target, double[] weight, params (string Head, double Change)[] changes)
    {
        foreach (var (head, change) in changes)
        {
            var i = MaskHeads.IndexOf(head);
            var spec = MaskHeads.All[i];
            target[i] = spec.Normalize(spec.Denormalize(target[i]) + change);
            weight[i] = Math.Max(weight[i], ImplicitWeight);
        }
    }

    private static void Keep(double[] weight, double w)
    {
        for (var i = 0; i < weight.Length; i++) weight[i] = Math.Max(weight[i], w);
    }

    private static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static string Canonical(string key) => key.Replace("_", "", StringComparison.Ordinal).Replace(".", "", StringComparison.Ordinal).ToLowerInvariant();

    private static double? Number(JsonNode? node) =>
        node is JsonValue v && (v.TryGetValue<double>(out var d) || (v.TryGetValue<JsonElement>(out var e) && e.ValueKind == JsonValueKind.Number && e.TryGetDouble(out d)))
            && double.IsFinite(d) ? d : null;
}
