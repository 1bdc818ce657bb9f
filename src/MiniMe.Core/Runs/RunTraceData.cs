using System.Text.Json.Nodes;
using MiniMe.Context;
using MiniMe.Masks;
using MiniMe.Memory.Retrieval;

namespace MiniMe.Runs;

/// <summary>
/// The data of a run's mask_generation, retrieval and context_assembly trace events, in one shape for
/// every kind of run (`minime ask`, chat turns) so `minime trace` and the trace viewer read them all.
/// </summary>
public static class RunTraceData
{
    public static JsonObject Masks(string policyName, TaskProfile profile, MaskWeights masks)
    {
        var routing = new JsonObject();
        foreach (var (agent, weight) in masks.AgentRouting) routing[agent] = Math.Round(weight, 4);
        return new JsonObject
        {
            ["policy"] = policyName,
            ["domain"] = profile.Domain,
            ["domain_confidence"] = Math.Round(profile.DomainConfidence, 4),
            ["complexity"] = Math.Round(profile.Complexity, 4),
            ["signals"] = new JsonArray([.. profile.Signals.Select(s => (JsonNode?)s)]),
            ["weights"] = new JsonObject
            {
                ["alpha"] = Math.Round(masks.Alpha, 4),
                ["beta"] = Math.Round(masks.Beta, 4),
                ["gamma"] = Math.Round(masks.Gamma, 4),
                ["retrieval_k"] = masks.RetrievalK,
                ["retrieval_domain_weight"] = Math.Round(masks.RetrievalDomainWeight, 4),
                ["retrieval_recency_weight"] = Math.Round(masks.RetrievalRecencyWeight, 4),
                ["temperature"] = Math.Round(masks.Temperature, 4),
                ["rigor"] = Math.Round(masks.Rigor, 4),
                ["max_iterations"] = masks.MaxIterations,
                ["agent_routing"] = routing,
            },
        };
    }

    /// <summary>
    /// mask_generation with who decided: policy ("heuristic", "learned") and policy_version ("v1", "mask-v3"),
    /// masks.policy as configured, the identity context the policy read, and a warning when the configured policy could not be used.
    /// </summary>
    public static JsonObject Masks(MaskDecision decision, TaskProfile profile, MiniMe.Masks.Learned.MaskContext context)
    {
        ArgumentNullException.ThrowIfNull(decision);
        ArgumentNullException.ThrowIfNull(context);
        var data = Masks(decision.Policy, profile, decision.Weights);
        data["policy_version"] = decision.Version;
        data["policy_setting"] = decision.Setting;
        data["context"] = new JsonObject
        {
            ["principles"] = context.Principles,
            ["principle_magnitude"] = Math.Round(context.MeanMagnitude, 4),
            ["domain_principles"] = context.DomainPrinciples,
        };
        if (decision.Warning is not null) data["warning"] = decision.Warning;
        return data;
    }

    public static JsonObject Retrieval(RetrievalResult retrieval, int k, RetrievalBoosts boosts) => new()
    {
        ["mode"] = retrieval.Mode,
        ["match"] = retrieval.MatchExpression,
        ["k"] = k,
        ["filters"] = new JsonObject { ["domain_boost"] = boosts.Domain, ["domain_weight"] = boosts.DomainWeight, ["recency_weight"] = boosts.RecencyWeight },
        ["lexical_candidates"] = retrieval.LexicalCandidates,
        ["dense_candidates"] = retrieval.DenseCandidates,
        ["elapsed_ms"] = Math.Round(retrieval.ElapsedMs, 3),
        ["hits"] = new JsonArray([.. retrieval.Hits.Select(h => (JsonNode?)new JsonObject
        {
            ["id"] = h.Id,
            ["source"] = h.Source,
            ["start"] = h.StartOffset,
            ["end"] = h.EndOffset,
            ["domain"] = h.Domain,
            ["score"] = Math.Round(h.Score, 6),
            ["bm25"] = h.LexicalScore is { } l ? Math.Round(l, 6) : null,
            ["cosine"] = h.DenseScore is { } d ? Math.Round(d, 6) : null,
        })]),
    };

    public static JsonObject Context(ContextAssembly context) => new()
    {
        ["tokenizer"] = context.TokenizerName,
        ["budget_tokens"] = context.BudgetTokens,
        ["total_tokens"] = context.TotalTokens,
        ["from_cache"] = context.FromCache,
        ["blocks"] = new JsonArray([.. context.Blocks.Select(b => (JsonNode?)new JsonObject
        {
            ["id"] = b.Id,
            ["kind"] = b.Kind.ToString(),
            ["weight"] = Math.Round(b.Weight, 4),
            ["tokens"] = b.Tokens,
            ["kept"] = b.Kept,
            ["reason"] = b.Reason,
        })]),
    };
}
