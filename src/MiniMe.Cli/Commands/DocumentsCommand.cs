using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using MiniMe.Cli.Hosting;
using MiniMe.Memory;
using MiniMe.Tracing;
using Spectre.Console;

namespace MiniMe.Cli.Commands;

/// <summary>
/// `minime documents`: list (the default) what memory holds per file, and remove documents from
/// memory (a file's, or every one under a folder). Removing never touches the files themselves.
/// </summary>
internal sealed class DocumentsCommand : MiniMeCommand
{
    private readonly ListOptions _list = new();

    public DocumentsCommand(CliContext context) : base("documents", "List the documents in memory (default), or remove some from memory", context)
    {
        _list.AddTo(this);
        Subcommands.Add(new ListCommand(context));
        Subcommands.Add(new RemoveCommand(context));
    }

    protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        await using var engine = OpenEngine(parse);
        return await _list.RunAsync(parse, engine, Out, cancellationToken);
    }

    private sealed class ListCommand : MiniMeCommand
    {
        private readonly ListOptions _list = new();

        public ListCommand(CliContext context) : base("list", "List stored documents: source, chunks, size, domain, tags, when imported; with totals", context) => _list.AddTo(this);

        protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
        {
            await using var engine = OpenEngine(parse);
            return await _list.RunAsync(parse, engine, Out, cancellationToken);
        }
    }

    /// <summary>The options of `documents` and `documents list` (one instance per command).</summary>
    private sealed class ListOptions
    {
        private readonly Argument<string?> _path = new("PATH") { Description = "Only this file, or the documents under this folder", Arity = ArgumentArity.ZeroOrOne };
        private readonly Option<bool> _json = new("--json") { Description = "Print a JSON object: the documents and their totals" };

        public void AddTo(Command command)
        {
            command.Arguments.Add(_path);
            command.Options.Add(_json);
        }

        public async Task<int> RunAsync(ParseResult parse, Engine engine, IAnsiConsole console, CancellationToken cancellationToken)
        {
            var path = parse.GetValue(_path);
            var store = await engine.StoreAsync(cancellationToken);
            var documents = await DocumentsAtAsync(store, path is { Length: > 0 } ? Resolve(path) : null, cancellationToken);
            if (parse.GetValue(_json))
            {
                var json = new JsonObject
                {
                    ["documents"] = new JsonArray([.. documents.Select(d => (JsonNode?)ToJson(d))]),
                    ["total"] = Totals(documents),
                };
                console.Profile.Out.Writer.WriteLine(json.ToJsonString(JsonFormats.Indented));
                return ExitCodes.Ok;
            }
            if (documents.Count == 0)
            {
                console.MarkupLine(path is { Length: > 0 }
                    ? $"No documents in memory at {Markup.Escape(Resolve(path))}."
                    : "No documents yet. Import notes or code with [bold]minime import PATH[/].");
                return ExitCodes.Ok;
            }
            var table = new Table().Border(TableBorder.Simple)
                .AddColumn("source").AddColumn(new TableColumn("chunks").RightAligned()).AddColumn(new TableColumn("size").RightAligned())
                .AddColumn("domain").AddColumn("tags").AddColumn("imported (UTC)");
            foreach (var d in documents)
                table.AddRow(
                    Markup.Escape(Display(d.Source)),
                    d.Chunks.ToString(CultureInfo.InvariantCulture),
                    Size(d.SizeBytes),
                    Markup.Escape(d.Domain),
                    Markup.Escape(string.Join(", ", d.Tags)),
                    d.ImportedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture));
            console.Write(table);
            console.WriteLine($"{documents.Count} {Plural(documents.Count, "document")}, {documents.Sum(d => (long)d.Chunks)} chunks, {Size(documents.Sum(d => d.SizeBytes))}");
            return ExitCodes.Ok;
        }
    }

    private sealed class RemoveCommand : MiniMeCommand
    {
        private readonly Argument<string[]> _paths = new("PATH") { Description = "Files, or folders (every document under one), to remove from memory", Arity = ArgumentArity.OneOrMore };
        private readonly Option<bool> _json = new("--json") { Description = "Print a JSON object: the sources removed and the chunk count" };

        public RemoveCommand(CliContext context) : base("remove", "Remove documents from memory (a file's, or all under a folder); the files themselves are not touched", context)
        {
            Arguments.Add(_paths);
            Options.Add(_json);
            Options.Add(EmptyMemoryForceOption());
        }

        protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
        {
            ArgumentGuards.RejectOptionLikeTokens(parse, _paths);
            await using var engine = OpenEngine(parse);
            var store = await engine.StoreAsync(cancellationToken);
            var sources = new List<string>();
            var unknown = new List<string>();
            foreach (var path in parse.GetValue(_paths) ?? [])
            {
                var found = await DocumentsAtAsync(store, Resolve(path), cancellationToken);
                if (found.Count == 0) unknown.Add(Resolve(path));
                sources.AddRange(found.Select(d => d.Source));
            }
            // All or nothing: a typo in one path removes nothing.
            if (unknown.Count > 0)
                throw new NotFoundException($"nothing in memory at {string.Join(", ", unknown)} (no stored document is that file or under that folder; see `minime documents list`)");
            var removed = sources.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            // What used these documents, found before their evidence links go with them (docs/evidence.md); never blocks.
            var evidence = engine.Owner.Evidence();
            var documents = await evidence.DocumentsAsync(removed, cancellationToken);
            var impact = await evidence.ImpactAsync(documents, cancellationToken);
            var depended = EvidenceReport.Line(impact, removed.Count == 1 ? "this document" : "these documents", null);
            var chunks = await store.DeleteDocumentsAsync(removed, cancellationToken);
            if (parse.GetValue(_json))
            {
                var json = new JsonObject
                {
                    ["removed"] = new JsonArray([.. removed.Select(s => (JsonNode?)s)]),
                    ["documents"] = removed.Count,
                    ["chunks"] = chunks,
                    ["evidence"] = EvidenceReport.Json(impact, null),
                };
                Out.Profile.Out.Writer.WriteLine(json.ToJsonString(JsonFormats.Indented));
                return ExitCodes.Ok;
            }
            foreach (var source in removed) Out.WriteLine($"removed {Display(source)}");
            Out.WriteLine($"Removed {removed.Count} {Plural(removed.Count, "document")} ({chunks} chunks) from memory; the files are untouched.");
            if (depended is not null)
                Out.WriteLine($"{depended} Their links to the removed chunks were deleted with them; the run traces still name the chunk ids.");
            return ExitCodes.Ok;
        }
    }

    private static Task<IReadOnlyList<DocumentSummary>> DocumentsAtAsync(IMemoryStore store, string? path, CancellationToken cancellationToken) =>
        store.ListDocumentsAtAsync(path, cancellationToken);

    /// <summary>A path as sources are stored: full, without a trailing separator (the file system root stays "/").</summary>
    private static string Resolve(string path)
    {
        var full = Path.GetFullPath(path);
        var trimmed = full.TrimEnd(Path.DirectorySeparatorChar);
        return trimmed.Length == 0 ? full : trimmed;
    }

    private static JsonObject ToJson(DocumentSummary d) => new()
    {
        ["source"] = d.Source,
        ["chunks"] = d.Chunks,
        ["size_bytes"] = d.SizeBytes,
        ["domain"] = d.Domain,
        ["tags"] = new JsonArray([.. d.Tags.Select(t => (JsonNode?)t)]),
        ["imported_at"] = d.ImportedAt.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture),
    };

    private static JsonObject Totals(IReadOnlyList<DocumentSummary> documents) => new()
    {
        ["documents"] = documents.Count,
        ["chunks"] = documents.Sum(d => (long)d.Chunks),
        ["size_bytes"] = documents.Sum(d => d.SizeBytes),
    };

    private static string Size(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => (bytes / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " KB",
        _ => (bytes / (1024.0 * 1024)).ToString("0.0", CultureInfo.InvariantCulture) + " MB",
    };

    private static string Plural(int count, string noun) => count == 1 ? noun : noun + "s";
}
