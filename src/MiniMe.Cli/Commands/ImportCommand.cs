using System.CommandLine;
using MiniMe.Cli.Hosting;
using MiniMe.Cli.Rendering;
using MiniMe.Memory.Import;
using Spectre.Console;

namespace MiniMe.Cli.Commands;

internal sealed class ImportCommand : MiniMeCommand
{
    private readonly Argument<string[]> _paths = new("PATH") { Description = "Files or folders to import", Arity = ArgumentArity.OneOrMore };
    private readonly Option<string?> _domain = new("--domain") { Description = "Domain for everything imported (default: guessed per document)" };
    private readonly Option<string?> _tags = new("--tags") { Description = "Comma-separated tags, e.g. notes,design" };
    private readonly Option<bool> _noVectors = new("--no-vectors")
    {
        Description = "Commit the text only (searchable at once, lexically); vectors fill in later: `minime index fill`, the next import or `minime serve`",
    };

    public ImportCommand(CliContext context) : base("import", "Import files and folders (Markdown, text, code) into memory; re-import skips unchanged files", context)
    {
        Arguments.Add(_paths);
        Options.Add(_domain);
        Options.Add(_tags);
        Options.Add(_noVectors);
        Options.Add(EmptyMemoryForceOption());
    }

    protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        ArgumentGuards.RejectOptionLikeTokens(parse, _paths);
        await using var engine = OpenEngine(parse);
        var importer = await engine.ImporterAsync(cancellationToken);
        var tags = Importer.NormalizeTags(parse.GetValue(_tags) is { } t ? [t] : null);
        var domain = parse.GetValue(_domain)?.Trim().ToLowerInvariant();
        var exit = ExitCodes.Ok;
        foreach (var path in parse.GetValue(_paths) ?? [])
        {
            var request = new ImportRequest(path, string.IsNullOrEmpty(domain) ? null : domain, tags);
            var report = Context.Interactive
                ? await WithProgressAsync(importer, request, cancellationToken)
                : await importer.ImportAsync(request, null, cancellationToken);
            Render(path, report, parse.GetValue(GlobalOptions.Verbose));
            if (report.SkippedUnreadable > 0 || report.Walk.UnreadableDirectories.Count > 0) exit = ExitCodes.Error;
        }
        // The text is committed and searchable; now its vectors (every text lacking one, also from an earlier, interrupted import).
        if (await engine.VectorBackfillAsync(cancellationToken) is { } fill)
        {
            if (parse.GetValue(_noVectors))
            {
                var pending = await fill.PendingAsync(cancellationToken);
                if (pending > 0) Out.WriteLine($"{pending:N0} chunk texts await vectors (search is lexical for them): `minime index fill` embeds them");
            }
            else
            {
                var (done, elapsed) = await VectorFillRenderer.RunAsync(Context, fill, cancellationToken);
                if (done > 0) Out.WriteLine(VectorFillRenderer.Summary(fill.Model, done, elapsed));
            }
        }
        return exit;
    }

    private async Task<ImportReport> WithProgressAsync(Importer importer, ImportRequest request, CancellationToken cancellationToken)
    {
        ImportReport? report = null;
        await Out.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async progressContext =>
            {
                var reading = progressContext.AddTask("Reading files", maxValue: 1);
                var progress = new SyncProgress<ImportProgress>(p =>
                {
                    switch (p.Phase)
                    {
                        case ImportPhase.Reading:
                            reading.MaxValue = Math.Max(1, p.Total);
                            reading.Value = p.Done;
                            break;
                        case ImportPhase.Done:
                            reading.Value = reading.MaxValue;
                            break;
                    }
                });
                report = await importer.ImportAsync(request, progress, cancellationToken);
            });
        return report!;
    }

    private void Render(string path, ImportReport r, bool verbose)
    {
        foreach (var (problemPath, reason) in r.Problems)
            Context.Error.WriteLine($"skipped {Display(problemPath)}: {reason}");
        var walk = r.Walk;
        if (verbose)
        {
            foreach (var (skippedPath, reason) in walk.SecretDirectories.Concat(walk.SecretFiles).Concat(walk.GitIgnoredDirectories).Concat(walk.GitIgnoredFiles))
                Out.WriteLine($"skipped {Display(skippedPath)}: {reason}");
            foreach (var removed in r.DocumentsRemoved)
                Out.WriteLine($"removed {Display(removed)} from memory: now a secret or ignored by .gitignore or .minimeignore");
            foreach (var pruned in r.DocumentsPruned)
                Out.WriteLine($"removed {Display(pruned)} from memory: the file is gone");
        }
        var skipped = new List<string>();
        if (r.FilesUnchanged > 0) skipped.Add($"{r.FilesUnchanged} unchanged");
        if (r.SkippedBinary > 0) skipped.Add($"{r.SkippedBinary} binary");
        if (r.SkippedTooLarge > 0) skipped.Add($"{r.SkippedTooLarge} too large");
        if (r.SkippedUnreadable > 0) skipped.Add($"{r.SkippedUnreadable} unreadable");
        if (walk.SecretFiles.Count > 0) skipped.Add($"{walk.SecretFiles.Count} secret {Plural(walk.SecretFiles.Count, "file")}");
        if (walk.SecretDirectories.Count > 0) skipped.Add($"{walk.SecretDirectories.Count} secret {Plural(walk.SecretDirectories.Count, "folder")}");
        AddIgnored(skipped, walk.GitIgnoredFiles, "file");
        AddIgnored(skipped, walk.GitIgnoredDirectories, "folder");
        if (walk.UnreadableDirectories.Count > 0) skipped.Add($"{walk.UnreadableDirectories.Count} unreadable folders");
        var ignored = walk.IgnoredDirectories + walk.SymlinkedDirectoriesSkipped;
        var line = $"Imported {Display(Path.GetFullPath(path))}: {r.FilesImported} files, {r.ChunksAdded} chunks added, {r.ChunksRemoved} replaced";
        if (skipped.Count > 0) line += $"; skipped {string.Join(", ", skipped)}";
        if (r.FilesRedacted > 0) line += $"; secrets masked in {r.FilesRedacted} {Plural(r.FilesRedacted, "file")}";
        if (r.DocumentsRemoved.Count > 0) line += $"; removed {r.DocumentsRemoved.Count} {Plural(r.DocumentsRemoved.Count, "document")} now secret or ignored";
        if (r.DocumentsPruned.Count > 0) line += $"; removed {r.DocumentsPruned.Count} {Plural(r.DocumentsPruned.Count, "document")} whose files are gone";
        if (verbose is false && walk.SecretFiles.Count + walk.SecretDirectories.Count + walk.GitIgnoredFiles.Count + walk.GitIgnoredDirectories.Count + r.DocumentsRemoved.Count + r.DocumentsPruned.Count > 0)
            line += " (--verbose lists them)";
        if (ignored > 0) line += $"; {ignored} folders ignored";
        if (r.DecodedAsLatin1 > 0) line += $"; {r.DecodedAsLatin1} read as Latin-1 (not UTF-8)";
        line += $" ({r.Elapsed.TotalSeconds:0.0}s)";
        Out.WriteLine(line);
    }

    /// <summary>"2 files ignored by .gitignore", "1 file ignored by .minimeignore": the reason names the ignore file.</summary>
    private static void AddIgnored(List<string> skipped, List<(string Path, string Reason)> ignored, string noun)
    {
        var mine = ignored.Count(i => i.Reason.Contains(SourceWalker.IgnoreFileName + ":", StringComparison.Ordinal));
        var git = ignored.Count - mine;
        if (git > 0) skipped.Add($"{git} {Plural(git, noun)} ignored by .gitignore");
        if (mine > 0) skipped.Add($"{mine} {Plural(mine, noun)} ignored by {SourceWalker.IgnoreFileName}");
    }

    private static string Plural(int count, string noun) => count == 1 ? noun : noun + "s";

    /// <summary>Reports on the caller's thread (Progress&lt;T&gt; would post to the thread pool and lag).</summary>
    private sealed class SyncProgress<T>(Action<T> handler) : IProgress<T>
    {
        public void Report(T value) => handler(value);
    }
}
