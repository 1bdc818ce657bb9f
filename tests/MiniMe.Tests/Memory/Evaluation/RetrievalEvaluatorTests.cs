using MiniMe.Tests.Support;
using System.Text.Json.Nodes;
using MiniMe.Configuration;
using MiniMe.Memory;
using MiniMe.Memory.Evaluation;
using MiniMe.Memory.Retrieval;
using MiniMe.Storage.Sqlite;
using MiniMe.Tests.Memory.Vectors;

namespace MiniMe.Tests.Memory.Evaluation;

public sealed class RetrievalEvaluatorTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private async Task<EvaluationReport> EvaluateAsync(int k)
    {
        await using var store = new SqliteMemoryStore(_dir.Combine($"eval-{k}.db"));
        await store.InitializeAsync(CancellationToken.None);
        var evaluator = new RetrievalEvaluator(store, new RetrievalOptions(), new ImportOptions());
        return await evaluator.EvaluateAsync(BeirReader.Read(TinyBeir.Write(_dir.Combine("tiny"))), k, CancellationToken.None);
    }

    [Fact]
    public async Task Metrics_on_the_tiny_dataset_match_the_hand_computed_values()
    {
        var report = await EvaluateAsync(10);

        Assert.Equal("bm25", report.Mode);
        Assert.Equal(4, report.Documents);
        Assert.Equal(4, report.Queries);
        Assert.Equal(1, report.QueriesWithoutSearchableWords);
        Assert.Equal(TinyBeir.Ndcg10, report.Ndcg, 6);
        Assert.Equal(TinyBeir.Recall10, report.Recall, 6);
        Assert.Equal(TinyBeir.Mrr10, report.Mrr, 6);
        Assert.Equal(["d3"], report.PerQuery.Single(q => q.QueryId == "q1").Retrieved);
        Assert.Equal(["d2"], report.PerQuery.Single(q => q.QueryId == "q3").Retrieved);
    }

    [Fact]
    public async Task The_cut_off_changes_ideal_gain()
    {
        // At k=1, q2's ideal list is just d4 (grade 2), which is what it retrieved: nDCG 1.
        var report = await EvaluateAsync(1);
        Assert.Equal(0.5, report.Ndcg, 6);
        Assert.Equal(TinyBeir.Recall10, report.Recall, 6);
    }

    [Fact]
    public async Task Compare_evaluates_every_variant_over_one_import()
    {
        await using var store = new SqliteMemoryStore(_dir.Combine("compare.db"));
        await store.InitializeAsync(CancellationToken.None);
        var evaluator = new RetrievalEvaluator(store, new RetrievalOptions(), new ImportOptions());
        var dataset = BeirReader.Read(TinyBeir.Write(_dir.Combine("tiny-compare")));

        var reports = await evaluator.CompareAsync(dataset, 10,
        [
            new EvaluationVariant("lexical", RetrievalMode.Lexical, null),
            new EvaluationVariant(null, RetrievalMode.Hybrid, new RetrievalOptions { Fusion = FusionMethod.Rrf }),
        ], CancellationToken.None);

        Assert.Equal(["lexical", "bm25"], reports.Select(r => r.Mode));
        Assert.All(reports, r => Assert.Equal(TinyBeir.Ndcg10, r.Ndcg, 6));
        Assert.Equal(4, (await store.GetStatsAsync(CancellationToken.None)).Documents);
    }

    [Fact]
    public async Task Dense_mode_without_an_embedding_model_is_refused()
    {
        await using var store = new SqliteMemoryStore(_dir.Combine("dense.db"));
        await store.InitializeAsync(CancellationToken.None);
        var evaluator = new RetrievalEvaluator(store, new RetrievalOptions(), new ImportOptions());

        await Assert.ThrowsAsync<InvalidInputException>(() => evaluator.EvaluateAsync(BeirReader.Read(TinyBeir.Write(_dir.Combine("t-dense"))), 10, CancellationToken.None, RetrievalMode.Dense));
    }

    [Fact]
    public void The_fusion_grid_holds_lexical_dense_rrf_and_convex_variants_with_the_configured_bm25_weights()
    {
        var configured = new RetrievalOptions { TitleWeight = 4 };
        var grid = FusionGrid.Variants(configured);

        Assert.Contains(grid, v => v.Mode == RetrievalMode.Lexical);
        Assert.Contains(grid, v => v.Mode == RetrievalMode.Dense);
        Assert.Contains(grid, v => v.Options!.Fusion == FusionMethod.Rrf);
        Assert.Contains(grid, v => v.Options!.Fusion == FusionMethod.Convex && v.Options.Normalization == ScoreNormalization.ZScore);
        Assert.All(grid, v => Assert.Equal(4, v.Options!.TitleWeight));
        Assert.Equal(grid.Count, grid.Select(v => v.Name).Distinct().Count());
    }

    [Fact]
    public async Task A_store_that_holds_documents_is_refused()
    {
        await using var store = new SqliteMemoryStore(_dir.Combine("used.db"));
        await store.InitializeAsync(CancellationToken.None);
        await store.WriteDocumentsAsync([new DocumentWrite(new DocumentRecord("/n.md", "h", 1, DateTimeOffset.UnixEpoch, "general", []), [])], CancellationToken.None);
        var evaluator = new RetrievalEvaluator(store, new RetrievalOptions(), new ImportOptions());
        await Assert.ThrowsAsync<InvalidInputException>(() => evaluator.EvaluateAsync(BeirReader.Read(TinyBeir.Write(_dir.Combine("t"))), 10, CancellationToken.None));
    }

    [Fact]
    public async Task Cli_prints_metrics_and_json_without_touching_the_workspace_memory()
    {
        var home = _dir.Combine("ws");
        Assert.Equal(0, (await CliRunner.RunAsync("init", "--home", home, "--name", "t")).ExitCode);
        var dataset = TinyBeir.Write(_dir.Combine("tiny"));

        var text = await CliRunner.RunAsync("eval", "retrieval", "--dataset", dataset, "--home", home, "--mode", "lexical");
        Assert.Equal(0, text.ExitCode);
        Assert.Contains("Dataset tiny: 4 documents (4 chunks), 4 queries, retrieval bm25", text.Out, StringComparison.Ordinal);
        Assert.Contains("nDCG@10    0.4400", text.Out, StringComparison.Ordinal);
        Assert.Contains("recall@10  0.3750", text.Out, StringComparison.Ordinal);
        Assert.Contains("MRR@10     0.5000", text.Out, StringComparison.Ordinal);

        var json = await CliRunner.RunAsync("eval", "retrieval", "--dataset", dataset, "--k", "1", "--json", "--home", home);
        Assert.Equal(0, json.ExitCode);
        var report = JsonNode.Parse(json.Out)!;
        Assert.Equal(0.5, (double)report["ndcg"]!, 6);
        Assert.Equal(4, report["perQuery"]!.AsArray().Count);

        await using var memory = new SqliteMemoryStore(Path.Combine(home, "memory.db"));
        Assert.Equal(0, (await memory.GetStatsAsync(CancellationToken.None)).Documents);
    }

    [Fact]
    public async Task Cli_reports_a_malformed_line_with_exit_code_2()
    {
        var dataset = TinyBeir.Write(_dir.Combine("broken"));
        await File.AppendAllTextAsync(Path.Combine(dataset, "queries.jsonl"), "{not json}\n");
        var result = await CliRunner.RunAsync("eval", "retrieval", "--dataset", dataset, "--home", _dir.Combine("no-workspace"));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("queries.jsonl:6: not valid JSON", result.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_dir.Combine("no-workspace")));
    }
}
