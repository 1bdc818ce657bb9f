using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace MiniMe.Agents;

/// <summary>A file as it is in the repository now, read for the Builder's prompt; <see cref="Truncated"/> when agents.currentFileBytes cut it.</summary>
public sealed record CurrentFile(string Path, string Text, bool Truncated);

/// <summary>
/// The Builder writes its patches against the current text: before each Builder round the files the
/// Architect's plan names (and the ones the previous build patched) are read fresh through the toolbox,
/// within agents.currentFileBytes in all, and memory excerpts of the same files are taken out of the
/// Builder's context (they may be stale). After the Builder, every patch is checked against the current
/// text (<see cref="IAgentToolbox.CheckPatchAsync"/>): one that does not apply is a blocking violation
/// the Critic sees and the Builder must fix.
/// </summary>
public static partial class CurrentFiles
{
    public const string StalePatchRule = "patch.stale";

    public static async Task<IReadOnlyList<CurrentFile>> ReadAsync(IAgentToolbox tools, IEnumerable<string> paths, int budgetBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tools);
        ArgumentNullException.ThrowIfNull(paths);
        var files = new List<CurrentFile>();
        var left = budgetBytes;
        foreach (var path in paths.Select(Normalize).Where(p => p.Length > 0).Distinct(StringComparer.Ordinal))
        {
            if (left <= 0) break;
            var text = await tools.ReadCurrentAsync(path, cancellationToken).ConfigureAwait(false);
            if (text is null) continue;
            var bytes = Encoding.UTF8.GetByteCount(text);
            if (bytes <= left)
            {
                files.Add(new CurrentFile(path, text, false));
                left -= bytes;
                continue;
            }
            var length = Math.Min(text.Length, left);
            while (length > 0 && Encoding.UTF8.GetByteCount(text.AsSpan(0, length)) > left) length = length * 9 / 10;
            if (length > 0 && char.IsHighSurrogate(text[length - 1])) length--;
            files.Add(new CurrentFile(path, text[..length], true));
            left = 0;
        }
        return files;
    }

    /// <summary>The plan's files, then the previous build's patched paths.</summary>
    public static IEnumerable<string> Named(ArchitectPlan? plan, BuildOutput? previous) =>
        (plan?.Files.Select(f => f.Path) ?? []).Concat(previous?.Patches.Select(p => p.Path) ?? []);

    /// <summary>The context prompt without the memory excerpts of <paramref name="paths"/> (the "[memory:ID]" blocks whose source is that file).</summary>
    public static string WithoutExcerptsOf(string contextPrompt, IReadOnlyCollection<string> paths)
    {
        ArgumentNullException.ThrowIfNull(contextPrompt);
        if (paths.Count == 0) return contextPrompt;
        return MemoryBlock().Replace(contextPrompt, m =>
        {
            var source = Normalize(m.Groups["source"].Value);
            return paths.Any(p => source == p || source.EndsWith("/" + p, StringComparison.Ordinal)) ? "" : m.Value;
        });
    }

    /// <summary>Blocking violations for the build's patches that do not apply to the current text.</summary>
    public static async Task<IReadOnlyList<Violation>> CheckPatchesAsync(IAgentToolbox tools, BuildOutput build, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tools);
        ArgumentNullException.ThrowIfNull(build);
        var violations = new List<Violation>();
        foreach (var patch in build.Patches)
            if (await tools.CheckPatchAsync(patch.Path, patch.Diff, cancellationToken).ConfigureAwait(false) is { } error)
                violations.Add(Stale(patch.Path, error));
        return violations;
    }

    public static Violation Stale(string path, string error) => new(
        "current text",
        $"the patch for {path} does not apply to the file as it is now: {error.TrimEnd('.')}. Make the patch against the current text (read_file {path}).",
        path, "static", Blocking: true, RuleId: StalePatchRule);

    public static string Render(IReadOnlyList<CurrentFile> files)
    {
        var sb = new StringBuilder("\nThe current text of the files you may change (read just now; make every patch against this text, not against memory excerpts):\n");
        foreach (var file in files)
        {
            sb.Append("\n--- ").Append(file.Path).Append(file.Truncated ? " (truncated: read_file the rest)" : "").Append(" ---\n").Append(file.Text);
            if (!file.Text.EndsWith('\n')) sb.Append('\n');
            sb.Append("--- end of ").Append(file.Path).Append(" ---\n");
        }
        return sb.ToString();
    }

    public static JsonObject ToTrace(int iteration, IReadOnlyList<CurrentFile> files) => new()
    {
        ["iteration"] = iteration,
        ["files"] = new JsonArray([.. files.Select(f => (JsonNode?)new JsonObject
        {
            ["path"] = f.Path,
            ["bytes"] = Encoding.UTF8.GetByteCount(f.Text),
            ["truncated"] = f.Truncated,
        })]),
    };

    private static string Normalize(string path)
    {
        var p = path.Replace('\\', '/').Trim();
        while (p.StartsWith("./", StringComparison.Ordinal)) p = p[2..];
        return p.TrimStart('/');
    }

    // "[memory:12]\nFrom the user's memory (SOURCE[ § heading], chars a-b):\n..." up to the next block or section.
    [GeneratedRegex(@"\[memory:[^\]\n]+\]\nFrom the user's memory \((?<source>[^\n]+?)(?: § [^\n]*)?, chars \d+-\d+\):\n.*?(?:\n\n(?=\[memory:|## )|\z)", RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex MemoryBlock();
}
