namespace MiniMe.Tools.Trust;

/// <summary>
/// What a repository's own git setup would run on the user's next git command, outside MiniMe: hooks
/// in .git/hooks, and .git/config keys that name programs (fsmonitor, pager, diff and merge drivers,
/// filters, `!` aliases, includes). A repository that arrived as a folder (not a clone) can carry these;
/// `minime trust` shows them. MiniMe's own git runs override the dangerous ones (see GitProfile), but
/// the user's git does not.
/// </summary>
internal static class GitConfigInspector
{
    private static readonly string[] CoreKeys = ["fsmonitor", "hookspath", "pager", "editor", "sshcommand", "askpass", "gitproxy"];

    public static IReadOnlyList<string> Findings(string root)
    {
        var findings = new List<string>();
        var git = Path.Join(root, ".git");
        if (!Directory.Exists(git)) return findings;
        var hooks = Path.Join(git, "hooks");
        if (Directory.Exists(hooks))
        {
            var active = Directory.EnumerateFiles(hooks).Select(Path.GetFileName).Where(n => n is not null && !n.EndsWith(".sample", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
            if (active.Count > 0) findings.Add($".git/hooks has hooks that run on your git commands: {string.Join(", ", active)}");
        }
        var config = Path.Join(git, "config");
        if (!File.Exists(config)) return findings;
        string[] lines;
        try
        {
            lines = File.ReadAllLines(config);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [.. findings, $".git/config could not be read ({e.Message}): check it yourself"];
        }
        var section = "";
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';') continue;
            if (line[0] == '[')
            {
                var end = line.IndexOf(']', StringComparison.Ordinal);
                section = (end > 0 ? line[1..end] : line[1..]).Trim();
                continue;
            }
            var equals = line.IndexOf('=', StringComparison.Ordinal);
            var key = (equals > 0 ? line[..equals] : line).Trim().ToLowerInvariant();
            var value = equals > 0 ? line[(equals + 1)..].Trim().Trim('"') : "true";
            var name = section.Split(' ', 2)[0].ToLowerInvariant();
            var runs = name switch
            {
                "core" => CoreKeys.Contains(key) && value is not ("" or "false" or "cat"),
                "diff" => key is "external" or "command" or "textconv",
                "filter" => key is "clean" or "smudge" or "process",
                "merge" => key == "driver",
                "alias" => value.StartsWith('!'),
                "include" or "includeif" => key == "path",
                "credential" => key == "helper",
                "gpg" => key == "program",
                "sequence" => key == "editor",
                "uploadpack" => key == "packobjectshook",
                _ => false,
            };
            if (runs) findings.Add($".git/config [{section}] {key} = {value}: git runs this");
        }
        return findings;
    }
}
