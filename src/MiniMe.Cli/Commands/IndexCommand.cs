using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;
using MiniMe.Cli.Hosting;
using MiniMe.Cli.Rendering;
using MiniMe.Memory.Vectors;
using MiniMe.Tracing;
using Spectre.Console;

namespace MiniMe.Cli.Commands;

internal sealed class IndexCommand : Command
{
    public IndexCommand(CliContext context) : base("index", "Inspect or rebuild the approximate nearest-neighbour index of stored vectors")
    {
        Subcommands.Add(new StatusCommand(context));
        Subcommands.Add(new FillCommand(context));
        Subcommands.Add(new RebuildCommand(context));
    }

    private static IVectorIndexMaintenance Maintenance(object store) =>
        store as IVectorIndexMaintenance
        ?? throw new MiniMe.Configuration.ConfigException("This memory store indexes vectors inside its database; there is no index file to manage.");

    private sealed class StatusCommand : MiniMeCommand
    {
        private readonly Option<bool> _json = new("--json") { Description = "Print a JSON object: the embedding model, the texts lacking vectors and one entry per model's index" };

        public StatusCommand(CliContext context) : base("status", "Show, per embedding model, how many vectors are stored and whether searches use the index", context) =>
            Options.Add(_json);

        protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
        {
            await using var engine = OpenEngine(parse);
            var store = await engine.StoreAsync(cancellationToken);
            var fill = await engine.VectorBackfillAsync(cancellationToken);
            long? pending = fill is null ? null : await fill.PendingAsync(cancellationToken);
            var maintenance = store as IVectorIndexMaintenance;
            IReadOnlyList<VectorIndexStatus> statuses = maintenance is null ? [] : await maintenance.GetVectorIndexStatusAsync(cancellationToken);
            if (parse.GetValue(_json))
            {
                Out.Profile.Out.Writer.WriteLine(StatusJson(engine, fill?.Model, pending, maintenance is not null, statuses).ToJsonString(JsonFormats.Indented));
                return ExitCodes.Ok;
            }
            Out.WriteLine($"embedding model: {engine.Owner.EmbeddingDescription}");
            if (fill is not null)
            {
                Out.WriteLine(pending == 0
                    ? VectorFillRenderer.AllEmbedded(fill.Model)
                    : $"{fill.Model}: {pending:N0} chunk texts lack vectors (search is lexical for them); `minime index fill` embeds them");
            }
            if (maintenance is null) return ExitCodes.Ok;
            if (statuses.Count == 0)
            {
                Out.WriteLine(engine.Embeddings is null
                    ? "No vectors stored: embeddings.model is none (lexical search only)."
                    : "No vectors stored yet: import something.");
                return ExitCodes.Ok;
            }
            foreach (var s in statuses)
                Out.WriteLine(Describe(s, engine.Options.Vectors.AnnThreshold, Display));
            return ExitCodes.Ok;
        }

        private static JsonObject StatusJson(Engine engine, string? fillModel, long? pending, bool indexFiles, IReadOnlyList<VectorIndexStatus> statuses) => new()
        {
            ["embedding_model"] = engine.Owner.EmbeddingDescription,
            ["fill_model"] = fillModel,
            ["pending"] = pending,
            ["ann_threshold"] = engine.Options.Vectors.AnnThreshold,
            ["index_files"] = indexFiles,
            ["indexes"] = new JsonArray([.. statuses.Select(s => (JsonNode)new JsonObject
            {
                ["model"] = s.Model,
                ["vectors"] = s.Vectors,
                ["uses_index"] = s.UsesIndex,
                ["index_path"] = s.IndexPath,
                ["index_file_exists"] = s.IndexFileExists,
                ["indexed_vectors"] = s.IndexedVectors,
                ["tombstones"] = s.Tombstones,
                ["problem"] = s.Problem,
            })]),
        };
    }

    private sealed class FillCommand(CliContext context) : MiniMeCommand("fill", "Embed the chunk texts that lack a vector for the configured model (resumable: Ctrl-C keeps what is done)", context)
    {
        protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
        {
            await using var engine = OpenEngine(parse);
            if (await engine.VectorBackfillAsync(cancellationToken) is not { } fill)
                throw new MiniMe.Configuration.ConfigException("embeddings.model is none: there is no model to embed with; set embeddings.model: minilm in config.yaml.");
            var (done, elapsed) = await VectorFillRenderer.RunAsync(Context, fill, cancellationToken);
            Out.WriteLine(done == 0 ? VectorFillRenderer.AllEmbedded(fill.Model) : VectorFillRenderer.Summary(fill.Model, done, elapsed));
            return ExitCodes.Ok;
        }
    }

    private sealed class RebuildCommand : MiniMeCommand
    {
        private readonly Option<string?> _model = new("--model") { Description = "Only this embedding model (default: every model with stored vectors)" };

        public RebuildCommand(CliContext context) : base("rebuild", "Rebuild the HNSW index from the vectors in memory.db (parallel, with progress)", context)
        {
            Options.Add(_model);
        }

        protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
        {
            await using var engine = OpenEngine(parse);
            var maintenance = Maintenance(await engine.StoreAsync(cancellationToken));
            var known = await maintenance.GetVectorIndexStatusAsync(cancellationToken);
            var models = parse.GetValue(_model) is { Length: > 0 } only ? [only] : known.Select(s => s.Model).ToList();
            if (parse.GetValue(_model) is { Length: > 0 } requested && known.All(s => s.Model != requested))
                throw new MiniMe.NotFoundException($"No vectors stored for model '{requested}'; known models: {(known.Count == 0 ? "none" : string.Join(", ", known.Select(s => s.Model)))}.");
            if (models.Count == 0)
            {
                Out.WriteLine("No vectors stored; nothing to index.");
                return ExitCodes.Ok;
            }
            foreach (var model in models)
            {
                var clock = Stopwatch.StartNew();
                var status = Context.Interactive
                    ? await WithProgressBarAsync(maintenance, model, cancellationToken)
                    : await maintenance.RebuildVectorIndexAsync(model, new LineProgress(Context.Error), cancellationToken);
                Out.WriteLine($"Rebuilt {model}: {status.IndexedVectors ?? 0:N0} vectors in {clock.Elapsed.TotalSeconds:0.0}s -> {Display(status.IndexPath)}");
                Out.WriteLine(Describe(status, engine.Options.Vectors.AnnThreshold, Display));
            }
            return ExitCodes.Ok;
        }

        private async Task<VectorIndexStatus> WithProgressBarAsync(IVectorIndexMaintenance maintenance, string model, CancellationToken cancellationToken)
        {
            VectorIndexStatus? status = null;
            await Out.Progress()
                .AutoClear(true)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .StartAsync(async progressContext =>
                {
                    var task = progressContext.AddTask($"Reading vectors of {Markup.Escape(model)}", maxValue: 1);
                    task.IsIndeterminate = true;
                    var progress = new InlineProgress<VectorIndexProgress>(p =>
                    {
                        switch (p.Phase)
                        {
                            case VectorIndexPhase.Reading:
                                task.Description = $"Reading vectors ({p.Done:N0})";
                                break;
                            case VectorIndexPhase.Building:
                                task.IsIndeterminate = false;
                                task.Description = $"Building {Markup.Escape(model)}";
                                task.MaxValue = Math.Max(1, p.Total);
                                task.Value = p.Done;
                                break;
                            case VectorIndexPhase.Saving:
                                task.Description = "Saving";
                                break;
                        }
                    });
                    status = await maintenance.RebuildVectorIndexAsync(model, progress, cancellationToken);
                });
            return status!;
        }
    }

    private static string Describe(VectorIndexStatus s, int threshold, Func<string, string> display)
    {
        var mode = s.UsesIndex ? "searches use the HNSW index" : $"searches scan exactly (below vectors.annThreshold = {threshold:N0})";
        var line = $"{s.Model}: {s.Vectors:N0} vectors; {mode}; index file {(s.IndexFileExists ? display(s.IndexPath) : "not built")}";
        if (s.IndexedVectors is { } indexed) line += $" ({indexed:N0} indexed, {s.Tombstones ?? 0:N0} tombstones)";
        if (s.Problem is { } problem) line += $"\n  note: {problem}";
        return line;
    }

    /// <summary>Non-interactive progress: a line per 10% so logs stay short.</summary>
    private sealed class LineProgress(TextWriter error) : IProgress<VectorIndexProgress>
    {
        private int _lastDecile = -1;

        public void Report(VectorIndexProgress value)
        {
            if (value.Phase != VectorIndexPhase.Building || value.Total <= 0) return;
            var decile = (int)(value.Done * 10 / value.Total);
            if (decile == _lastDecile) return;
            _lastDecile = decile;
            error.WriteLine($"{value.Model}: indexed {value.Done:N0}/{value.Total:N0} ({decile * 10}%)");
        }
    }

    private sealed class InlineProgress<T>(Action<T> handler) : IProgress<T>
    {
        private readonly Lock _gate = new();

        public void Report(T value)
        {
            lock (_gate) handler(value);
        }
    }
}
