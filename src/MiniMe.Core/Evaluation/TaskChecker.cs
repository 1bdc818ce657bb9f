using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using MiniMe.Actions;
using MiniMe.Agents;

namespace MiniMe.Evaluation;

/// <summary>One check of a task and whether the run met it.</summary>
public sealed record CheckResult(string Kind, string Expected, bool Passed, string? Detail = null);

/// <summary>Applies a task's checks to what the team proposed (files written or patched, the text of every proposal), its review and its tokens.</summary>
public static class TaskChecker
{
    public static IReadOnlyList<CheckResult> Check(TaskChecks checks, TeamResult team, long totalTokens)
    {
        ArgumentNullException.ThrowIfNull(checks);
        ArgumentNullException.ThrowIfNull(team);
        var paths = ProposedPaths(team.Proposals);
        var text = ProposalText(team.Proposals);
        var results = new List<CheckResult>();
        foreach (var file in checks.Files)
        {
            var hit = paths.FirstOrDefault(p => PathMatches(file, p));
            results.Add(new CheckResult("file", file, hit is not null, hit is null ? (paths.Count == 0 ? "no file was proposed" : "proposed: " + string.Join(", ", paths)) : null));
        }
        foreach (var pattern in checks.Patterns)
            results.Add(new CheckResult("pattern", pattern.ToString(), Matches(pattern, text), Matches(pattern, text) ? null : "not in the proposals"));
        foreach (var pattern in checks.Forbidden)
        {
            var found = Find(pattern, text);
            results.Add(new CheckResult("forbidden", pattern.ToString(), found is null, found is null ? null : $"found '{Shorten(found)}'"));
        }
        if (checks.CriticMustPass)
        {
            var last = team.Reviews.Count > 0 ? team.Reviews[^1] : null;
            results.Add(new CheckResult("critic", "pass", CriticPassed(team),
                last is null ? "the critic did not review" : last.Valid ? null : string.Join("; ", last.Violations.Select(v => v.Message))));
        }
        if (checks.MaxTokens is { } max)
            results.Add(new CheckResult("maxTokens", max.ToString(System.Globalization.CultureInfo.InvariantCulture), totalTokens <= max, totalTokens <= max ? null : $"used {totalTokens}"));
        return results;
    }

    /// <summary>The critic reviewed the build and its last review found no blocking violation.</summary>
    public static bool CriticPassed(TeamResult team) => team is { Reviews.Count: > 0, Unresolved: false } && team.Reviews[^1].Valid;

    /// <summary>The paths proposals write (write_file's path, the +++ headers of apply_patch's diff).</summary>
    public static IReadOnlyList<string> ProposedPaths(IReadOnlyList<ActionProposal> proposals)
    {
        var paths = new List<string>();
        foreach (var p in proposals)
        {
            if (p.Arguments["path"] is JsonValue v && v.TryGetValue<string>(out var path)) paths.Add(Normalize(path));
            if (p.Arguments["patch"] is JsonValue pv && pv.TryGetValue<string>(out var patch))
                foreach (var line in patch.Split('\n'))
                    if (line.StartsWith("+++ ", StringComparison.Ordinal) && line[4..].Trim() is { } target && target != "/dev/null")
                        paths.Add(Normalize(target.StartsWith("b/", StringComparison.Ordinal) ? target[2..] : target));
        }
        return [.. paths.Distinct(StringComparer.Ordinal)];
    }

    /// <summary>Every string of every proposal's arguments (contents, patches, command lines) and rationale, one after the other.</summary>
    public static string ProposalText(IReadOnlyList<ActionProposal> proposals)
    {
        var text = new StringBuilder();
        foreach (var p in proposals)
        {
            text.Append(p.Tool).Append('\n');
            Append(text, p.Arguments);
        }
        return text.ToString();
    }

    private static void Append(StringBuilder text, JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (_, value) in o) Append(text, value);
                break;
            case JsonArray a:
                foreach (var item in a) Append(text, item);
                break;
            case JsonValue v:
                text.Append(v.TryGetValue<string>(out var s) ? s : v.ToJsonString()).Append('\n');
                break;
        }
    }

    private static string Normalize(string path) => path.Replace('\\', '/').TrimStart('.', '/');

    /// <summary>The expected path is the proposed one, a suffix of it at a folder boundary, or a glob (* within a folder, ** across folders).</summary>
    public static bool PathMatches(string expected, string proposed)
    {
        var want = Normalize(expected);
        if (want.Contains('*', StringComparison.Ordinal))
        {
            var pattern = "(^|/)" + Regex.Escape(want).Replace(@"\*\*", ".*", StringComparison.Ordinal).Replace(@"\*", "[^/]*", StringComparison.Ordinal) + "$";
            return Regex.IsMatch(proposed, pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        }
        return proposed == want || proposed.EndsWith("/" + want, StringComparison.Ordinal);
    }

    private static bool Matches(Regex pattern, string text) => Find(pattern, text) is not null;

    private static string? Find(Regex pattern, string text)
    {
        try
        {
            var m = pattern.Match(text);
            return m.Success ? m.Value : null;
        }
        catch (RegexMatchTimeoutException)
        {
            return null;
        }
    }

    private static string Shorten(string s) => s.Length <= 60 ? s.ReplaceLineEndings(" ") : s[..57].ReplaceLineEndings(" ") + "...";
}
