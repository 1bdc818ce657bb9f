using System.Text.Json.Nodes;

namespace MiniMe.Server.Endpoints;

/// <summary>
/// Request bodies that refuse members they do not know (a misspelt "deadlne" or "voise" would
/// otherwise be dropped without a word and the request would seem to have worked).
/// </summary>
internal static class JsonMembers
{
    /// <summary>The members of <paramref name="body"/> that are not in <paramref name="known"/>, each as "Unknown member 'where.name'; the members are …".</summary>
    public static IEnumerable<string> Unknown(JsonObject body, IReadOnlyCollection<string> known, string where = "")
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(known);
        foreach (var (name, _) in body)
            if (!known.Contains(name, StringComparer.Ordinal))
                yield return $"Unknown member '{where}{name}'; the members are {string.Join(", ", known)}";
    }

    /// <summary>Refuses the first member of <paramref name="body"/> that is not in <paramref name="known"/> (400).</summary>
    public static void RequireKnown(JsonObject body, IReadOnlyCollection<string> known)
    {
        if (Unknown(body, known).FirstOrDefault() is { } unknown) throw new InvalidInputException(unknown + ".");
    }
}
