using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.AI;
using MiniMe.Configuration;
using MiniMe.Memory.Import;
using MiniMe.Memory.Lexical;
using MiniMe.Memory.Retrieval;
using MiniMe.Memory.Vectors;

namespace MiniMe.Memory.Evaluation;

/// <summary>One query's outcome: its metrics and the document ids retrieved, best first.</summary>
public sealed record QueryEvaluation(string QueryId, double Ndcg, double Recall, double ReciprocalRank, IReadOnlyList<string> Retrieved);

/// <summary>One retrieval setting to evaluate: a mode and the fusion options (null = the evaluator's own); a name for the report, or null to describe it.</summary>
public sealed record EvaluationVariant(string? Name, RetrievalMode Mode, RetrievalOptions? Options);

public sealed record EvaluationReport(
    string Dataset,
    int K,
    string Mode,
    int Documents,
    int Chunks,
    int Queries,
    int QueriesWithoutSearchableWords,
    int QueriesWithoutRelevantDocuments,
    double Ndcg,
    double Recall,
    double Mrr,
    TimeSpan ImportTime,
    TimeSpan SearchTime,
    IReadOnlyList<QueryEvaluation> PerQuery);

/// <summary>
/// Measures retrieval quality on a BEIR dataset: imports the corpus into an empty store (chunked
/// as the importer chunks files; the title feeds the title field), runs every judged query through
/// the <see cref="HybridRetriever"/> with no mask boosts, maps chunks back to their documents and
/// averages nDCG@k, recall@k and MRR@k.
/// </summary>
public sealed class RetrievalEvaluator(
    IMemoryStore store,
    RetrievalOptions retrieval,
    ImportOptions import,
    IEmbeddingGenerator<string, Embedding<float>>? embeddings = null,
    string? embeddingModel = null)
{
    private const string SourcePrefix = "beir:";
    private const int WriteBatch = 256;

    /// <summary>Retrieval as configured (or only BM25, or only dense, by <paramref name="mode"/>).</summary>
    public async Task<EvaluationReport> EvaluateAsync(BeirDataset dataset, int k, CancellationToken cancellationToken, RetrievalMode mode = RetrievalMode.Hybrid) =>
        (await CompareAsync(dataset, k, [new EvaluationVariant(null, mode, retrieval)], cancellationToken).ConfigureAwait(false))[0];

    /// <summary>
    /// Several retrieval settings over one import: each query's BM25 and dense candidates are found
    /// once, then every variant fuses them its own way, so a grid of fusion settings costs one
    /// embedding pass. BM25 field weights and the candidate pool come from the evaluator's options.
    /// </summary>
    public async Task<IReadOnlyList<EvaluationReport>> CompareAsync(BeirDataset dataset, int k, IReadOnlyList<EvaluationVariant> variants, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(variants);
        if (variants.Count == 0) throw new ArgumentException("No variant to evaluate.", nameof(variants));
        if (k is < 1 or > 1000) throw new InvalidInputException($"k must be between 1 and 1000 (got {k}).");
        var hasEmbeddings = embeddings is not null && embeddingModel is not null;
        if (!hasEmbeddings && variants.Any(v => v.Mode == RetrievalMode.Dense))
            throw new InvalidInputException("Dense retrieval needs an embedding model: set embeddings.model (minilm, arctic-xs, or file with modelPath and vocabPath) in the workspace's config.yaml.");
        var stats = await store.GetStatsAsync(cancellationToken).ConfigureAwait(false);
        if (stats.Documents != 0)
            throw new InvalidInputException("Evaluation needs an empty store; it never imports into a memory that holds documents.");

        var clock = Stopwatch.StartNew();
        var chunks = await ImportAsync(dataset.Corpus, cancellationToken).ConfigureAwait(false);
        var needDense = hasEmbeddings && variants.Any(v => v.Mode != RetrievalMode.Lexical);
        if (needDense)
            await new VectorBackfill(store, embeddings!, embeddingModel!).FillAsync(null, cancellationToken).ConfigureAwait(false);
        var importTime = clock.Elapsed;

        clock.Restart();
        var retriever = new HybridRetriever(store, retrieval, needDense ? embeddings : null, needDense ? embeddingModel : null);
        var gatherMode = needDense ? (variants.All(v => v.Mode == RetrievalMode.Dense) ? RetrievalMode.Dense : RetrievalMode.Hybrid) : RetrievalMode.Lexical;
        var perQuery = variants.Select(_ => new List<QueryEvaluation>(dataset.Queries.Count)).ToList();
        var unsearchable = 0;
        var withoutRelevant = 0;
        foreach (var query in dataset.Queries)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var judged = dataset.Qrels[query.Id];
            if (!judged.Values.Any(g => g > 0))
            {
                withoutRelevant++;
                continue;
            }
            HybridRetriever.Candidates? candidates;
            try
            {
                // Several chunks may come from one document: ask for more chunks than k documents.
                candidates = await retriever.CandidatesAsync(new RetrievalRequest(query.Text, k * 3, SearchFilter.None, RetrievalBoosts.None, gatherMode), cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidInputException)
            {
                // A query with only stop words or punctuation finds nothing; it still counts, as zero.
                unsearchable++;
                candidates = null;
            }
            for (var v = 0; v < variants.Count; v++)
            {
                IReadOnlyList<string> ranked = [];
                if (candidates is not null)
                {
                    var (fused, _) = HybridRetriever.Fuse(candidates, variants[v].Mode, variants[v].Options ?? retrieval);
                    ranked = fused
                        .OrderByDescending(f => f.Score)
                        .ThenBy(f => f.Chunk.Id)
                        .Take(k * 3)
                        .Select(f => f.Chunk.Source[SourcePrefix.Length..])
                        .Distinct(StringComparer.Ordinal)
                        .Take(k)
                        .ToList();
                }
                perQuery[v].Add(new QueryEvaluation(
                    query.Id,
                    RetrievalMetrics.NdcgAtK(ranked, judged, k),
                    RetrievalMetrics.RecallAtK(ranked, judged, k),
                    RetrievalMetrics.ReciprocalRankAtK(ranked, judged, k),
                    ranked));
            }
        }
        if (perQuery[0].Count == 0) throw new InvalidInputException($"Dataset {dataset.Name} has no query with a relevant document to evaluate.");
        var searchTime = clock.Elapsed;

        return variants.Select((variant, v) => new EvaluationReport(
            dataset.Name,
            k,
            variant.Name ?? ModeName(variant.Mode, variant.Options ?? retrieval, hasEmbeddings),
            dataset.Corpus.Count,
            chunks,
            perQuery[v].Count,
            unsearchable,
            withoutRelevant,
            perQuery[v].Average(q => q.Ndcg),
            perQuery[v].Average(q => q.Recall),
            perQuery[v].Average(q => q.ReciprocalRank),
            importTime,
            searchTime,
            perQuery[v])).ToList();
    }

    private static string ModeName(RetrievalMode mode, RetrievalOptions options, bool hasEmbeddings) => mode switch
    {
        RetrievalMode.Lexical => "bm25",
        RetrievalMode.Dense => "dense",
        _ when !hasEmbeddings => "bm25",
        _ => options.Fusion == FusionMethod.Rrf
            ? $"hybrid-rrf(k={options.RrfK})"
            : FormattableString.Invariant($"hybrid-convex-{options.Normalization.ToString().ToLowerInvariant()}(w={options.DenseWeight:0.00}, code w={options.IdentifierDenseWeight:0.00})")
                + (options.DenseFloor > 0 ? FormattableString.Invariant($" floor {options.DenseFloor:0.00}") : "")
                + (options.DenseMinBest > 0 ? FormattableString.Invariant($" min-best {options.DenseMinBest:0.00}") : ""),
    };

    private async Task<int> ImportAsync(IReadOnlyList<BeirDocument> corpus, CancellationToken cancellationToken)
    {
        var chunker = new ParagraphChunker(import.ChunkChars, import.OverlapChars);
        var batch = new List<DocumentWrite>(WriteBatch);
        var total = 0;
        foreach (var document in corpus)
        {
            var body = document.Text.Length > 0 ? document.Text : document.Title;
            var spans = chunker.Chunk(body, markdown: false);
            var records = new List<ChunkRecord>(spans.Count);
            for (var i = 0; i < spans.Count; i++)
            {
                var text = body[spans[i].Start..spans[i].End];
                records.Add(new ChunkRecord(i, spans[i].Start, spans[i].End, text, Hash(text), spans[i].Heading, document.Title, SymbolExtractor.Extract(text)));
            }
            total += records.Count;
            var record = new DocumentRecord(SourcePrefix + document.Id, Hash(body), Encoding.UTF8.GetByteCount(body), DateTimeOffset.UnixEpoch, "general", []);
            batch.Add(new DocumentWrite(record, records));
            if (batch.Count >= WriteBatch)
            {
                await store.WriteDocumentsAsync(batch, cancellationToken).ConfigureAwait(false);
                batch.Clear();
            }
        }
        if (batch.Count > 0) await store.WriteDocumentsAsync(batch, cancellationToken).ConfigureAwait(false);
        return total;
    }

    private static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
