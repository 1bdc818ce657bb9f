using System.Text.Json.Nodes;
using MiniMe.Context;
using MiniMe.Masks;
using MiniMe.Memory.Retrieval;

namespace MiniMe.Server.Chat;

/// <summary>Trace event data for chat runs, in the same shapes `minime ask` writes so `minime trace` reads both.</summary>
internal static class ChatTrace
{
    public static JsonObject Masks(string policy, TaskProfile profile, MaskWeights masks)
    {
        var routing = new JsonObject();
        foreach (var (agent, weight) in masks.AgentRouting) routing[agent] = Math.Round(weight, 4);
        return new JsonObject
        {
            ["policy"] = policy,
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

    public static JsonObject Retrieval(RetrievalResult retrieval, int k) => new()
    {
        ["mode"] = retrieval.Mode,
        ["match"] = retrieval.MatchExpression,
        ["k"] = k,
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
        })]),
    };

    public static JsonObject Context(ContextAssembly context, int historyMessages, int historyTokens) => new()
    {
        ["tokenizer"] = context.TokenizerName,
        ["budget_tokens"] = context.BudgetTokens,
        ["total_tokens"] = context.TotalTokens,
        ["from_cache"] = context.FromCache,
        ["history_messages"] = historyMessages,
        ["history_tokens"] = historyTokens,
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
