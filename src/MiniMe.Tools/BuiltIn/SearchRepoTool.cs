using MiniMe.Security;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using MiniMe.Tools.Allowlist;
using MiniMe.Tools.Paths;

namespace MiniMe.Tools.BuiltIn;

/// <summary>
/// search_repo: finds lines in text files under the root, without a shell or grep: symlinks are not
/// followed, ignored directories (.git, bin, obj, node_modules, ...) skipped, and files the read rules
/// refuse (secrets, the MiniMe home, excludes) never opened. Directories are walked through held
/// handles (<see cref="ConfinedFiles"/>), so one swapped for a link mid-search is skipped, not
/// followed; hard-linked files (another name may be a secret or outside the root) and FIFOs, sockets
/// and devices are skipped and counted.
/// </summary>
public sealed class SearchRepoTool(ToolContext context) : ITool
{
    private const int MaxLineChars = 400;

    public ToolDescriptor Descriptor { get; } = new(
        "search_repo",
        "Search text files under the workspace root for a string or regular expression.",
        ToolCategory.Search,
        NeedsApproval: false,
        new ToolSchema(
            new ToolParameter("query", ParameterType.String, "Text to find (a .NET regular expression when regex is true)", Required: true),
            new ToolParameter("regex", ParameterType.Boolean, "Treat query as a regular expression"),
            new ToolParameter("caseSensitive", ParameterType.Boolean, "Match case (default: ignore case)"),
            new ToolParameter("path", ParameterType.String, "Directory to search, relative to the root (default: the root)"),
            new ToolParameter("glob", ParameterType.String, "Only files whose root-relative path matches, e.g. src/**/*.cs"),
            new ToolParameter("maxResults", ParameterType.Integer, "Most matching lines to return (default 100)", Minimum: 1, Maximum: 5000)));

    public Task<PreparedAction> PrepareAsync(ToolArguments arguments, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var query = arguments.RequiredString("query");
        if (query.Length == 0) throw new ToolArgumentException("search_repo: the query is empty.");
        var options = RegexOptions.CultureInvariant | RegexOptions.NonBacktracking | (arguments.Boolean("caseSensitive") ? RegexOptions.None : RegexOptions.IgnoreCase);
        Regex pattern;
        try
        {
            pattern = new Regex(arguments.Boolean("regex") ? query : Regex.Escape(query), options);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException)
        {
            throw new ToolArgumentException($"search_repo: '{query}' is not a supported regular expression: {e.Message}");
        }
        Glob? glob = null;
        if (arguments.String("glob") is { Length: > 0 } g)
        {
            try { glob = new Glob(g); }
            catch (ArgumentException e) { throw new ToolArgumentException($"search_repo: '{g}' is not a valid glob: {e.Message}"); }
        }
        var start = context.Paths.Check(arguments.String("path") ?? ".", PathAccess.Read);
        using (var held = context.Files.OpenDirectory(start.RelativePath))
            if (held is null) throw new ToolFailedException($"{start.RelativePath} is not a directory.");
        var max = arguments.Integer("maxResults") ?? 100;
        var preview = new ActionPreview(PreviewKind.Read, $"search {start.RelativePath} for '{query}'");
        return Task.FromResult(new PreparedAction(preview, ct => Task.FromResult(Search(start, pattern, glob, max, ct))));
    }

    private ToolExecution Search(ConfinedPath start, Regex pattern, Glob? glob, int max, CancellationToken cancellationToken)
    {
        var search = new Tally(matches: [], max);
        var pending = new Stack<(ConfinedDirectory Directory, Queue<string> Subdirectories)>();
        try
        {
            var first = context.Files.OpenDirectory(start.RelativePath) ?? throw new ToolFailedException($"{start.RelativePath} is not a directory.");
            pending.Push((first, new Queue<string>()));
            SearchFiles(first, pending.Peek().Subdirectories, pattern, glob, search);
            // Depth first, files of a directory before its subdirectories, both in name order; one handle per level.
            while (pending.Count > 0 && !search.Truncated)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var (directory, subdirectories) = pending.Peek();
                if (subdirectories.Count == 0)
                {
                    pending.Pop().Directory.Dispose();
                    continue;
                }
                ConfinedDirectory? child;
                try
                {
                    child = directory.OpenDirectory(subdirectories.Dequeue(), create: false);
                }
                catch (Exception e) when (e is ToolRefusedException or ToolFailedException)
                {
                    continue;   // swapped for a link, or gone, since it was listed
                }
                if (child is null) continue;
                pending.Push((child, new Queue<string>()));
                SearchFiles(child, pending.Peek().Subdirectories, pattern, glob, search);
            }
        }
        finally
        {
            while (pending.Count > 0) pending.Pop().Directory.Dispose();
        }
        var skipped = new List<string>();
        if (search.HardLinked > 0) skipped.Add($"{search.HardLinked} hard-linked file{(search.HardLinked == 1 ? "" : "s")}");
        if (search.Special > 0) skipped.Add($"{search.Special} FIFO{(search.Special == 1 ? "" : "s")}, socket{(search.Special == 1 ? "" : "s")} or device{(search.Special == 1 ? "" : "s")}");
        return new ToolExecution(
            true,
            $"{search.Matches.Count}{(search.Truncated ? "+" : "")} matching lines in {search.FilesSearched} files searched{(skipped.Count > 0 ? $"; skipped {string.Join(" and ", skipped)}" : "")}",
            new JsonObject
            {
                ["matches"] = search.Matches,
                ["filesSearched"] = search.FilesSearched,
                ["truncated"] = search.Truncated,
                ["skippedHardLinked"] = search.HardLinked,
                ["skippedSpecial"] = search.Special,
            });
    }

    private sealed class Tally(JsonArray matches, int max)
    {
        public JsonArray Matches { get; } = matches;
        public int Max { get; } = max;
        public int FilesSearched { get; set; }
        public int HardLinked { get; set; }
        public int Special { get; set; }
        public bool Truncated { get; set; }
    }

    /// <summary>Searches the files of one directory and queues the subdirectories to descend into, in name order.</summary>
    private void SearchFiles(ConfinedDirectory directory, Queue<string> subdirectories, Regex pattern, Glob? glob, Tally search)
    {
        IReadOnlyList<string> names;
        try
        {
            names = directory.List();
        }
        catch (ToolFailedException)
        {
            return;   // unreadable: skipped, as before
        }
        foreach (var name in names.Order(StringComparer.Ordinal))
        {
            if (directory.Stat(name) is not { } entry || entry.Kind == EntryKind.Link) continue;   // never follow symlinks while walking
            var rel = directory.PathOf(name);
            if (entry.Kind == EntryKind.Directory)
            {
                if (!context.IgnoredDirectories.Contains(name, StringComparer.Ordinal) && name != ".git" && context.Paths.IsDirectoryReadable(rel))
                    subdirectories.Enqueue(name);
                continue;
            }
            if (!context.Paths.IsAllowed(rel, PathAccess.Read) || (glob is not null && !glob.IsMatch(rel))) continue;
            if (entry.Kind == EntryKind.Special) { search.Special++; continue; }
            if (entry.Links > 1) { search.HardLinked++; continue; }
            if (entry.Size > context.Options.MaxFileBytes) continue;
            string text;
            try
            {
                text = FileText.ReadOrNull(directory, name, context.Options.MaxFileBytes) ?? "";
            }
            catch (Exception e) when (e is ToolFailedException or ToolRefusedException or IOException or UnauthorizedAccessException)
            {
                continue;   // binary, not UTF-8, unreadable, or changed into something tools do not open since it was listed
            }
            search.FilesSearched++;
            var number = 0;
            foreach (var line in text.Split('\n'))
            {
                number++;
                if (!pattern.IsMatch(line)) continue;
                if (search.Matches.Count == search.Max) { search.Truncated = true; break; }
                var shown = line.TrimEnd('\r');
                search.Matches.Add(new JsonObject { ["path"] = rel, ["line"] = number, ["text"] = shown.Length <= MaxLineChars ? shown : shown[..MaxLineChars] + "…" });
            }
            if (search.Truncated) break;
        }
    }
}
