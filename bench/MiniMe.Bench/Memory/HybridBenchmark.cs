using System.Diagnostics;
using System.Globalization;
using MiniMe.Bench.Ann;
using MiniMe.Bench.Support;
using MiniMe.Configuration;
using MiniMe.Embeddings;
using MiniMe.Masks;
using MiniMe.Memory;
using MiniMe.Memory.Import;
using MiniMe.Memory.Retrieval;
using MiniMe.Memory.Vectors;
using MiniMe.Storage.Sqlite;

namespace MiniMe.Bench.Memory;

/// <summary>
/// The embedded default with the bundled model, as `minime import` and `minime search` run it:
/// (1) import wall time of a folder, text only and then the vector fill, beside the bare embedding
/// of the same texts (the floor: the generator called on them in one go, no store); (2) hybrid
/// search latency at 10k and 100k chunks beside the sum of its parts measured alone (lexical
/// search, one query embedding, dense search): what fusion and the plumbing add. At 100k chunks
/// the stored vectors are synthetic (embedding 100k texts here would take over an hour); the query
/// is embedded by the real model and searches scan or walk the HNSW index as they would.
/// </summary>
public static class HybridBenchmark
{
    public static async Task<int> RunAsync(int importChunks, int[] sizes, int queries, CancellationToken cancellationToken)
    {
        var directory = Path.Combine(Path.GetTempPath(), "minime-bench-hybrid-" + Environment.ProcessId);
        Directory.CreateDirectory(directory);
        try
        {
            var materialized = BundledModels.Materialize(BundledModels.Get("minilm"));
            using var generator = new OnnxEmbeddingGenerator(OnnxEmbeddingOptions.For(materialized));
            if (importChunks > 0) await ImportAsync(directory, generator, importChunks, cancellationToken);
            await SearchAsync(directory, generator, sizes, queries, cancellationToken);
            return 0;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task ImportAsync(string directory, OnnxEmbeddingGenerator generator, int chunks, CancellationToken cancellationToken)
    {
        var corpusDirectory = Path.Combine(directory, "corpus");
        var corpus = new SyntheticCorpus(seed: 13);
        // Files of 8 paragraphs of ~90 words: ~8 chunks each, of the size `minime import` cuts.
        var files = Math.Max(1, chunks / 8);
        for (var i = 0; i < files; i++)
        {
            var folder = Path.Combine(corpusDirectory, $"d{i / 200:D3}");
            Directory.CreateDirectory(folder);
            await File.WriteAllTextAsync(Path.Combine(folder, $"note{i:D5}.md"),
                $"# Note {i}\n\n" + string.Join("\n\n", Enumerable.Range(0, 8).Select(_ => corpus.Paragraph(90))), cancellationToken);
        }

        await using var store = new SqliteMemoryStore(Path.Combine(directory, "import.db"));
        await store.InitializeAsync(cancellationToken);
        var importer = new Importer(store, new ImportOptions(), new KeywordTaskClassifier());
        var text = await importer.ImportAsync(new ImportRequest(corpusDirectory), null, cancellationToken);
        var fill = new VectorBackfill(store, generator, generator.ModelId);
        var texts = new List<string>();
        string? after = null;
        while (await store.GetPendingEmbeddingsAsync(generator.ModelId, after, 1000, cancellationToken) is { Count: > 0 } page)
        {
            texts.AddRange(page.Select(p => p.Text));
            after = page[^1].ContentHash;
        }
        var vectorsClock = Stopwatch.StartNew();
        var embedded = await fill.FillAsync(null, cancellationToken);
        var vectorSeconds = vectorsClock.Elapsed.TotalSeconds;

        // Floor: the same texts through the same generator, nothing stored.
        var floorClock = Stopwatch.StartNew();
        for (var i = 0; i < texts.Count; i += VectorBackfill.PageSize)
            await generator.GenerateAsync(texts.Skip(i).Take(VectorBackfill.PageSize), EmbeddingPurpose.Document(), cancellationToken);
        var floorSeconds = floorClock.Elapsed.TotalSeconds;

        Report.Header($"Import with the bundled model ({generator.ModelId}, {Environment.ProcessorCount} threads)",
            "files", "chunks", "text only s", "vector fill s", "total s", "chunks/s with vectors", "floor: embed only s", "fill / floor");
        var total = text.Elapsed.TotalSeconds + vectorSeconds;
        Report.Row(files, embedded, F(text.Elapsed.TotalSeconds), F(vectorSeconds), F(total), (embedded / total).ToString("0.0", CultureInfo.InvariantCulture),
            F(floorSeconds), (vectorSeconds / floorSeconds).ToString("0.00", CultureInfo.InvariantCulture) + "×");
    }

    private static async Task SearchAsync(string directory, OnnxEmbeddingGenerator generator, int[] sizes, int queries, CancellationToken cancellationToken)
    {
        Report.Header("Hybrid search latency (BM25 + MiniLM query + dense, fused; k=8)",
            "chunks", "queries", "hybrid p50 ms", "hybrid p95 ms", "lexical p50", "embed query p50", "dense p50", "sum of parts p50", "hybrid / sum");
        await using var store = new SqliteMemoryStore(Path.Combine(directory, "search.db"));
        await store.InitializeAsync(cancellationToken);
        var corpus = new SyntheticCorpus();
        var vectors = new SyntheticVectors(generator.Dimensions ?? 384, clusters: 256, seed: 3);
        var loaded = 0;
        foreach (var size in sizes.Order())
        {
            loaded = await SearchBenchmark.LoadAsync(store, corpus, loaded, size, cancellationToken);
            await PutSyntheticVectorsAsync(store, vectors, generator.ModelId, cancellationToken);
            var options = new RetrievalOptions();
            var hybrid = new HybridRetriever(store, options, generator, generator.ModelId);
            var lexical = new HybridRetriever(store, options, embeddings: null, embeddingModel: null);
            var texts = new SyntheticCorpus(seed: 7);
            var q = Enumerable.Range(0, queries + 20).Select(_ => texts.Query()).ToArray();
            // Warm-up: JIT, page cache, the HNSW index (built on the first dense query above the threshold).
            foreach (var query in q.Take(20)) await hybrid.RetrieveAsync(Request(query), cancellationToken);
            var hybridMs = new List<double>();
            var lexicalMs = new List<double>();
            var embedMs = new List<double>();
            var denseMs = new List<double>();
            foreach (var query in q.Skip(20))
            {
                var clock = Stopwatch.StartNew();
                await hybrid.RetrieveAsync(Request(query), cancellationToken);
                hybridMs.Add(clock.Elapsed.TotalMilliseconds);
                clock.Restart();
                await lexical.RetrieveAsync(Request(query), cancellationToken);
                lexicalMs.Add(clock.Elapsed.TotalMilliseconds);
                clock.Restart();
                var vector = (await generator.GenerateAsync([query], EmbeddingPurpose.Query(), cancellationToken))[0].Vector;
                embedMs.Add(clock.Elapsed.TotalMilliseconds);
                clock.Restart();
                await store.SearchDenseAsync(generator.ModelId, vector, 40, SearchFilter.None, cancellationToken);
                denseMs.Add(clock.Elapsed.TotalMilliseconds);
            }
            var sum = Stats.Percentile(lexicalMs, 50) + Stats.Percentile(embedMs, 50) + Stats.Percentile(denseMs, 50);
            Report.Row(size.ToString("N0", CultureInfo.InvariantCulture), queries, Stats.Ms(Stats.Percentile(hybridMs, 50)), Stats.Ms(Stats.Percentile(hybridMs, 95)),
                Stats.Ms(Stats.Percentile(lexicalMs, 50)), Stats.Ms(Stats.Percentile(embedMs, 50)), Stats.Ms(Stats.Percentile(denseMs, 50)), Stats.Ms(sum),
                (Stats.Percentile(hybridMs, 50) / sum).ToString("0.00", CultureInfo.InvariantCulture) + "×");
        }
    }

    private static RetrievalRequest Request(string query) => new(query, 8, SearchFilter.None, RetrievalBoosts.None);

    /// <summary>Gives every chunk text without a vector a synthetic one under the model's id.</summary>
    private static async Task PutSyntheticVectorsAsync(SqliteMemoryStore store, SyntheticVectors vectors, string model, CancellationToken cancellationToken)
    {
        var stream = 0;
        while (await store.GetPendingEmbeddingsAsync(model, null, 5000, cancellationToken) is { Count: > 0 } page)
        {
            var dims = vectors.Dims;
            var buffer = new float[page.Count * dims];
            vectors.Fill(buffer, page.Count, stream++, cancellationToken);
            var rows = page.Select((p, i) => (p.ContentHash, (ReadOnlyMemory<float>)buffer.AsMemory(i * dims, dims))).ToList();
            await store.PutEmbeddingsAsync(model, rows, cancellationToken);
        }
    }

    private static string F(double seconds) => seconds.ToString("0.0", CultureInfo.InvariantCulture);
}
