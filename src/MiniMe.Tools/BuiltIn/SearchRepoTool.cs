using MiniMe.Security;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using MiniMe.Tools.Allowlist;
using MiniMe.Tools.Paths;

namespace MiniMe.Tools.BuiltIn;

/// <summary>
/// search_repo: finds lines in text files under the root, without a shell or grep: symlinks are not
/// followed, ignored directories (.git, bin, obj, node_modules, ...) skipped, and files the read rules
/// refuse (secrets, the MiniMe home, excludes) never opened.
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
        if (!Directory.Exists(start.FullPath)) throw new ToolFailedException($"{start.RelativePath} is not a directory.");
        var max = arguments.Integer("maxResults") ?? 100;
        var preview = new ActionPreview(PreviewKind.Read, $"search {start.RelativePath} for '{query}'");
        return Task.FromResult(new PreparedAction(preview, ct => Task.FromResult(Search(start, pattern, glob, max, ct))));
    }

    private ToolExecution Search(ConfinedPath start, Regex pattern, Glob? glob, int max, CancellationToken cancellationToken)
    {
        var matches = new JsonArray();
        var filesSearched = 0;
        var truncated = false;
        var pending = new Stack<string>([start.FullPath]);
        while (pending.Count > 0 && !truncated)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var directory = pending.Pop();
            IEnumerable<FileSystemInfo> entries;
            try
            {
                entries = new DirectoryInfo(directory).EnumerateFileSystemInfos().OrderBy(e => e.Name, StringComparer.Ordinal).ToList();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            var subdirectories = new List<string>();
            foreach (var entry in entries)
            {
                if (entry.LinkTarget is not null) continue;   // never follow symlinks while walking
                var rel = context.Paths.Relative(entry.FullName);
                if (entry is DirectoryInfo)
                {
                    if (!context.IgnoredDirectories.Contains(entry.Name, StringComparer.Ordinal) && entry.Name != ".git" && context.Paths.IsDirectoryReadable(rel))
                        subdirectories.Add(entry.FullName);
                    continue;
                }
                if (!context.Paths.IsAllowed(rel, PathAccess.Read) || (glob is not null && !glob.IsMatch(rel))) continue;
                if (((FileInfo)entry).Length > context.Options.MaxFileBytes) continue;
                string text;
                try
                {
                    text = FileText.ReadOrNull(entry.FullName, rel, context.Options.MaxFileBytes) ?? "";
                }
                catch (ToolFailedException)
                {
                    continue;   // binary or not UTF-8
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    continue;
                }
                filesSearched++;
                var number = 0;
                foreach (var line in text.Split('\n'))
                {
                    number++;
                    if (!pattern.IsMatch(line)) continue;
                    if (matches.Count == max) { truncated = true; break; }
                    var shown = line.TrimEnd('\r');
                    matches.Add(new JsonObject { ["path"] = rel, ["line"] = number, ["text"] = shown.Length <= MaxLineChars ? shown : shown[..MaxLineChars] + "…" });
                }
                if (truncated) break;
            }
            for (var i = subdirectories.Count - 1; i >= 0; i--) pending.Push(subdirectories[i]);
        }
        return new ToolExecution(
            true,
            $"{matches.Count}{(truncated ? "+" : "")} matching lines in {filesSearched} files searched",
            new JsonObject { ["matches"] = matches, ["filesSearched"] = filesSearched, ["truncated"] = truncated });
    }
}
