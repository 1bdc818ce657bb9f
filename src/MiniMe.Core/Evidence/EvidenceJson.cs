using System.Globalization;
using System.Text.Json.Nodes;

namespace MiniMe.Evidence;

/// <summary>The JSON shape of a tree, the same for `minime why --json` and GET /v1/evidence/{kind}/{id}.</summary>
public static class EvidenceJson
{
    public static JsonObject Tree(EvidenceTree tree)
    {
        ArgumentNullException.ThrowIfNull(tree);
        return new JsonObject
        {
            ["node"] = tree.Root.ToString(),
            ["kind"] = tree.Root.Kind,
            ["id"] = tree.Root.Id,
            ["label"] = tree.Label,
            ["depth"] = tree.Depth,
            ["truncated"] = tree.Truncated,
            ["origins"] = Nodes(tree.Origins),
            ["uses"] = Nodes(tree.Uses),
        };
    }

    public static JsonObject Impact(EvidenceImpact impact, string? why)
    {
        ArgumentNullException.ThrowIfNull(impact);
        var byKind = new JsonObject();
        foreach (var (kind, count) in impact.ByKind.OrderBy(k => k.Key, StringComparer.Ordinal)) byKind[kind] = count;
        return new JsonObject
        {
            ["dependents"] = impact.Dependents.Count,
            ["by_kind"] = byKind,
            ["summary"] = impact.Describe(),
            ["why"] = why,
        };
    }

    private static JsonArray Nodes(IReadOnlyList<EvidenceTreeNode> nodes) =>
        new([.. nodes.Select(n => (JsonNode?)new JsonObject
        {
            ["node"] = n.Node.ToString(),
            ["kind"] = n.Node.Kind,
            ["id"] = n.Node.Id,
            ["relation"] = n.Relation,
            ["phrase"] = n.Phrase,
            ["label"] = n.Label,
            ["at"] = n.At?.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture),
            ["detail"] = n.Detail,
            ["children"] = Nodes(n.Children),
        })]);
}
