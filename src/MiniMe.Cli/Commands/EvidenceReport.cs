using System.Text.Json.Nodes;
using MiniMe.Evidence;

namespace MiniMe.Cli.Commands;

/// <summary>What depended on something about to be removed or retracted, in one line (docs/evidence.md): shown, never blocking.</summary>
internal static class EvidenceReport
{
    /// <summary>At most this many dependents are named in the line; --json lists them all.</summary>
    private const int Named = 5;

    /// <summary>"2 runs and 1 fact used this document (run:A, run:B, fact:3)"; null when nothing depended on it.</summary>
    public static string? Line(EvidenceImpact impact, string subject, string? why)
    {
        ArgumentNullException.ThrowIfNull(impact);
        if (impact.IsEmpty) return null;
        var named = string.Join(", ", impact.Dependents.Take(Named).Select(n => n.ToString()));
        var more = impact.Dependents.Count > Named ? $", {impact.Dependents.Count - Named} more" : "";
        return $"{impact.Describe()} used {subject} ({named}{more}){(why is null ? "" : $"; see `minime why {why}`")}.";
    }

    public static JsonObject Json(EvidenceImpact impact, string? why)
    {
        var json = EvidenceJson.Impact(impact, why);
        json["nodes"] = new JsonArray([.. impact.Dependents.Select(n => (JsonNode?)n.ToString())]);
        return json;
    }
}
