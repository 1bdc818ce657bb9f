using System.CommandLine;
using System.Text.Json.Nodes;
using MiniMe.Cli.Hosting;
using MiniMe.Evidence;
using MiniMe.Hosting;
using MiniMe.Memory.Migration;
using MiniMe.Server.Storage;
using MiniMe.Storage.Postgres;
using MiniMe.Storage.Sqlite;
using MiniMe.Tracing;
using Spectre.Console;

namespace MiniMe.Cli.Commands;

/// <summary>`minime migrate --to postgres`: copies the workspace's SQLite memory (documents, then facts) into PostgreSQL and verifies it.</summary>
internal sealed class MigrateCommand : MiniMeCommand
{
    private readonly Option<string> _to = new("--to") { Description = "Target store: postgres", Required = true };
    private readonly Option<string?> _connectionString = new("--connection-string")
    {
        Description = "PostgreSQL connection string (default: memory.connectionString or MINIME_MEMORY__CONNECTIONSTRING)",
    };
    private readonly Option<bool> _json = new("--json") { Description = "Print the report as JSON" };
    private readonly Option<bool> _traces = new("--traces") { Description = "Also copy the run traces (traces/*.jsonl), for memory.traces: postgres" };

    public MigrateCommand(CliContext context)
        : base("migrate", "Copy the SQLite memory (documents, chunks, vectors, facts with their history and reviews, the evidence graph), the server's keys, conversations and proposals, and with --traces the run traces into PostgreSQL, then verify counts and checksums", context)
    {
        _to.AcceptOnlyFromAmong("postgres");
        Options.Add(_to);
        Options.Add(_connectionString);
        Options.Add(_json);
        Options.Add(_traces);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        await using var engine = OpenEngine(parse);
        var memory = engine.Options.Memory;
        var connectionString = parse.GetValue(_connectionString) is { Length: > 0 } given ? given : memory.ConnectionString;
        if (string.IsNullOrWhiteSpace(connectionString))
            throw new InvalidInputException("no PostgreSQL connection string: pass --connection-string or set memory.connectionString (or MINIME_MEMORY__CONNECTIONSTRING)");

        await using var source = MemoryStoreFactory.Sqlite(engine.DatabasePath, engine.Options.Vectors);
        if (!File.Exists(source.DatabasePath))
            throw new NotFoundException($"no SQLite memory at {Display(source.DatabasePath)}; nothing to migrate (run `minime import` first)");
        await source.InitializeAsync(cancellationToken);
        await using var target = MemoryStoreFactory.Postgres(connectionString, memory, engine.Options.Vectors);
        await target.InitializeAsync(cancellationToken);

        var json = parse.GetValue(_json);
        if (!json)
        {
            Out.WriteLine($"Migrating {Display(source.DatabasePath)} to PostgreSQL ({target.Endpoint})");
            Out.WriteLine($"Vector search on PostgreSQL: {target.VectorPath.Description}");
        }
        var report = Context.Interactive && !json
            ? await WithProgressAsync(source, target, cancellationToken)
            : await MemoryMigrator.MigrateAsync(source, target, new ProgressLines(Context.Error), cancellationToken);
        var facts = await MigrateFactsAsync(source.DatabasePath, connectionString, cancellationToken);
        var evidence = await MigrateEvidenceAsync(source.DatabasePath, connectionString, cancellationToken);
        var server = await ServerStateMigrator.MigrateAsync(engine.Workspace, connectionString, cancellationToken);
        TraceCopyReport? traces = null;
        if (parse.GetValue(_traces))
        {
            await using var log = new PostgresTraceLog(connectionString);
            traces = await log.CopyFromAsync(new FileTraceLog(engine.Workspace.TracesDirectory), cancellationToken);
        }

        if (json)
            Out.Profile.Out.Writer.WriteLine(ToJson(report, facts, evidence, server, traces, target.Endpoint, target.VectorPath.Description).ToJsonString(JsonFormats.Indented));
        else
            Render(report, facts, evidence, server, traces);
        if (!report.Verified || !facts.Verified || !evidence.Verified || server is { Verified: false } || traces is { Verified: false })
            throw new MigrationException("verification failed: PostgreSQL does not hold exactly the SQLite memory (see the mismatched rows above); re-run `minime migrate`, and report it if the mismatch stays");
        if (!json)
            Out.WriteLine($"Verified in {(report.Elapsed + facts.Elapsed + (server?.Elapsed ?? TimeSpan.Zero)).TotalSeconds:0.0}s: PostgreSQL holds exactly the SQLite memory, facts{(server is null ? "" : ", keys, conversations and proposals")}{(traces is null ? "" : " and traces")}. " +
                $"Use it with memory.store: postgres{(traces is null ? "" : " and memory.traces: postgres")}; stop `minime serve` before migrating again.");
        return ExitCodes.Ok;
    }

    /// <summary>Facts after the documents, into the same schema (the workspace owner's: the connection's own).</summary>
    private static async Task<FactMigrationReport> MigrateFactsAsync(string databasePath, string connectionString, CancellationToken cancellationToken)
    {
        await using var source = new SqliteFactStore(databasePath);
        await source.InitializeAsync(cancellationToken);
        await using var target = new PostgresFactStore(connectionString);
        await target.InitializeAsync(cancellationToken);
        return await FactMigrator.MigrateAsync(source, target, cancellationToken);
    }

    /// <summary>The evidence graph after documents and facts, whose ends it finds again in the target (docs/evidence.md).</summary>
    private static async Task<EvidenceMigrationReport> MigrateEvidenceAsync(string databasePath, string connectionString, CancellationToken cancellationToken)
    {
        await using var source = new SqliteEvidenceStore(databasePath);
        await source.InitializeAsync(cancellationToken);
        await using var target = new PostgresEvidenceStore(connectionString);
        await target.InitializeAsync(cancellationToken);
        return await EvidenceMigrator.MigrateAsync(source, target, cancellationToken);
    }

    private async Task<MigrationReport> WithProgressAsync(SqliteMemoryStore source, PostgresMemoryStore target, CancellationToken cancellationToken)
    {
        MigrationReport? report = null;
        await Out.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async progressContext =>
            {
                var tasks = new Dictionary<MigrationPhase, ProgressTask>();
                var progress = new SyncProgress(p =>
                {
                    if (!tasks.TryGetValue(p.Phase, out var task))
                        tasks[p.Phase] = task = progressContext.AddTask(p.Phase.ToString(), maxValue: Math.Max(1, p.Total));
                    task.MaxValue = Math.Max(1, p.Total);
                    task.Value = Math.Min(p.Done, task.MaxValue);
                });
                report = await MemoryMigrator.MigrateAsync(source, target, progress, cancellationToken);
            });
        return report!;
    }

    private void Render(MigrationReport report, FactMigrationReport facts, EvidenceMigrationReport evidence, ServerStateReport? server, TraceCopyReport? traces)
    {
        var table = new Table().AddColumns("", "SQLite", "PostgreSQL", "SHA-256", "");
        Row(table, "documents", report.Source.Documents, report.Target.Documents, report.Source.DocumentsSha256, report.Target.DocumentsSha256);
        Row(table, "chunks", report.Source.Chunks, report.Target.Chunks, report.Source.ChunksSha256, report.Target.ChunksSha256);
        Row(table, "embeddings", report.Source.Embeddings, report.Target.Embeddings, report.Source.EmbeddingsSha256, report.Target.EmbeddingsSha256);
        var (s, t) = (facts.Source, facts.Target);
        Row(table, "facts", s.Facts, t.Facts, s.FactsSha256, t.FactsSha256);
        Row(table, "fact history", s.History, t.History, s.HistorySha256, t.HistorySha256);
        Row(table, "fact reviews", s.Reviews, t.Reviews, s.ReviewsSha256, t.ReviewsSha256);
        Row(table, "fact vectors", s.Vectors, t.Vectors, s.VectorsSha256, t.VectorsSha256);
        Row(table, "evidence edges", evidence.Source.Edges, evidence.Target.Edges, evidence.Source.Sha256, evidence.Target.Sha256);
        foreach (var check in server?.Tables ?? [])
            Row(table, check.Table, check.SourceRows, check.TargetRows, check.SourceSha256, check.TargetSha256);
        if (traces is not null)
        {
            Row(table, "trace runs", traces.Source.Runs, traces.Target.Runs, traces.Source.Sha256, traces.Target.Sha256);
            Row(table, "trace lines", traces.Source.Lines, traces.Target.Lines, traces.Source.Sha256, traces.Target.Sha256);
        }
        Out.Write(table);
    }

    private static void Row(Table table, string name, long sourceCount, long targetCount, string sourceHash, string targetHash)
    {
        var same = sourceCount == targetCount && sourceHash == targetHash;
        table.AddRow(
            name,
            sourceCount.ToString("N0", System.Globalization.CultureInfo.InvariantCulture),
            targetCount.ToString("N0", System.Globalization.CultureInfo.InvariantCulture),
            Markup.Escape(same ? sourceHash : $"{sourceHash} != {targetHash}"),
            same ? "ok" : "MISMATCH");
    }

    /// <summary>source/postgres are the documents' digests as before; facts has its own, and verified covers both.</summary>
    private static JsonObject ToJson(MigrationReport report, FactMigrationReport facts, EvidenceMigrationReport evidence, ServerStateReport? server, TraceCopyReport? traces, string endpoint, string vectorSearch) => new()
    {
        ["target"] = endpoint,
        ["vectorSearch"] = vectorSearch,
        ["verified"] = report.Verified && facts.Verified && evidence.Verified && server is not { Verified: false } && traces is not { Verified: false },
        ["elapsedSeconds"] = Math.Round((report.Elapsed + facts.Elapsed).TotalSeconds, 3),
        ["source"] = Digest(report.Source),
        ["postgres"] = Digest(report.Target),
        ["facts"] = new JsonObject
        {
            ["verified"] = facts.Verified,
            ["source"] = Digest(facts.Source),
            ["postgres"] = Digest(facts.Target),
        },
        ["evidence"] = new JsonObject
        {
            ["verified"] = evidence.Verified,
            ["unplaced"] = evidence.Unplaced,
            ["source"] = new JsonObject { ["edges"] = evidence.Source.Edges, ["sha256"] = evidence.Source.Sha256 },
            ["postgres"] = new JsonObject { ["edges"] = evidence.Target.Edges, ["sha256"] = evidence.Target.Sha256 },
        },
        ["server"] = server is null ? null : new JsonObject
        {
            ["verified"] = server.Verified,
            ["tables"] = new JsonArray([.. server.Tables.Select(t => (JsonNode?)new JsonObject
            {
                ["table"] = t.Table,
                ["source"] = t.SourceRows,
                ["postgres"] = t.TargetRows,
                ["sourceSha256"] = t.SourceSha256,
                ["postgresSha256"] = t.TargetSha256,
            })]),
        },
        ["traces"] = traces is null ? null : new JsonObject
        {
            ["verified"] = traces.Verified,
            ["source"] = new JsonObject { ["runs"] = traces.Source.Runs, ["lines"] = traces.Source.Lines, ["sha256"] = traces.Source.Sha256 },
            ["postgres"] = new JsonObject { ["runs"] = traces.Target.Runs, ["lines"] = traces.Target.Lines, ["sha256"] = traces.Target.Sha256 },
        },
    };

    private static JsonObject Digest(FactDigest d) => new()
    {
        ["facts"] = d.Facts,
        ["history"] = d.History,
        ["reviews"] = d.Reviews,
        ["vectors"] = d.Vectors,
        ["factsSha256"] = d.FactsSha256,
        ["historySha256"] = d.HistorySha256,
        ["reviewsSha256"] = d.ReviewsSha256,
        ["vectorsSha256"] = d.VectorsSha256,
    };

    private static JsonObject Digest(MemoryDigest d) => new()
    {
        ["documents"] = d.Documents,
        ["chunks"] = d.Chunks,
        ["embeddings"] = d.Embeddings,
        ["documentsSha256"] = d.DocumentsSha256,
        ["chunksSha256"] = d.ChunksSha256,
        ["embeddingsSha256"] = d.EmbeddingsSha256,
    };

    private sealed class SyncProgress(Action<MigrationProgress> handler) : IProgress<MigrationProgress>
    {
        public void Report(MigrationProgress value) => handler(value);
    }

    /// <summary>Without a terminal: one line per phase step of about 10%, on stderr so --json stays clean.</summary>
    private sealed class ProgressLines(TextWriter error) : IProgress<MigrationProgress>
    {
        private readonly Dictionary<MigrationPhase, long> _lastTenth = [];

        public void Report(MigrationProgress value)
        {
            var tenth = value.Total <= 0 ? 10 : value.Done * 10 / value.Total;
            if (_lastTenth.TryGetValue(value.Phase, out var last) && last == tenth) return;
            _lastTenth[value.Phase] = tenth;
            error.WriteLine(value.Phase == MigrationPhase.Verifying
                ? (value.Done == 0 ? "verifying: reading PostgreSQL back" : "verifying: done")
                : $"{value.Phase.ToString().ToLowerInvariant()}: {value.Done:N0}/{value.Total:N0}");
        }
    }
}
