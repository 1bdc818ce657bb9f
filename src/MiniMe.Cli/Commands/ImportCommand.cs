using System.CommandLine;
using MiniMe.Cli.Hosting;
using MiniMe.Memory.Import;
using Spectre.Console;

namespace MiniMe.Cli.Commands;

internal sealed class ImportCommand : MiniMeCommand
{
    private readonly Argument<string[]> _paths = new("PATH") { Description = "Files or folders to import", Arity = ArgumentArity.OneOrMore };
    private readonly Option<string?> _domain = new("--domain") { Description = "Domain for everything imported (default: guessed per document)" };
    private readonly Option<string?> _tags = new("--tags") { Description = "Comma-separated tags, e.g. notes,design" };

    public ImportCommand(CliContext context) : base("import", "Import files and folders (Markdown, text, code) into memory; re-import skips unchanged files", context)
    {
        Arguments.Add(_paths);
        Options.Add(_domain);
        Options.Add(_tags);
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
            Render(path, report);
            if (report.SkippedUnreadable > 0 || report.Walk.UnreadableDirectories.Count > 0) exit = ExitCodes.Error;
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
                ProgressTask? embedding = null;
                var progress = new SyncProgress<ImportProgress>(p =>
                {
                    switch (p.Phase)
                    {
                        case ImportPhase.Reading:
                            reading.MaxValue = Math.Max(1, p.Total);
                            reading.Value = p.Done;
                            break;
                        case ImportPhase.Embedding:
                            embedding ??= progressContext.AddTask("Embedding chunks", maxValue: double.MaxValue);
                            embedding.IsIndeterminate = true;
                            embedding.Description = $"Embedding chunks ({p.Done:N0})";
                            break;
                        case ImportPhase.Done:
                            reading.Value = reading.MaxValue;
                            embedding?.StopTask();
                            break;
                    }
                });
                report = await importer.ImportAsync(request, progress, cancellationToken);
            });
        return report!;
    }

    private void Render(string path, ImportReport r)
    {
        foreach (var (problemPath, reason) in r.Problems)
            Context.Error.WriteLine($"skipped {Display(problemPath)}: {reason}");
        var skipped = new List<string>();
        if (r.FilesUnchanged > 0) skipped.Add($"{r.FilesUnchanged} unchanged");
        if (r.SkippedBinary > 0) skipped.Add($"{r.SkippedBinary} binary");
        if (r.SkippedTooLarge > 0) skipped.Add($"{r.SkippedTooLarge} too large");
        if (r.SkippedUnreadable > 0) skipped.Add($"{r.SkippedUnreadable} unreadable");
        if (r.Walk.UnreadableDirectories.Count > 0) skipped.Add($"{r.Walk.UnreadableDirectories.Count} unreadable folders");
        var ignored = r.Walk.IgnoredDirectories + r.Walk.SymlinkedDirectoriesSkipped;
        var line = $"Imported {Display(Path.GetFullPath(path))}: {r.FilesImported} files, {r.ChunksAdded} chunks added, {r.ChunksRemoved} replaced";
        if (skipped.Count > 0) line += $"; skipped {string.Join(", ", skipped)}";
        if (ignored > 0) line += $"; {ignored} folders ignored";
        if (r.DecodedAsLatin1 > 0) line += $"; {r.DecodedAsLatin1} read as Latin-1 (not UTF-8)";
        if (r.EmbeddingsComputed > 0) line += $"; {r.EmbeddingsComputed} chunks embedded";
        line += $" ({r.Elapsed.TotalSeconds:0.0}s)";
        Out.WriteLine(line);
    }

    /// <summary>Reports on the caller's thread (Progress&lt;T&gt; would post to the thread pool and lag).</summary>
    private sealed class SyncProgress<T>(Action<T> handler) : IProgress<T>
    {
        public void Report(T value) => handler(value);
    }
}
