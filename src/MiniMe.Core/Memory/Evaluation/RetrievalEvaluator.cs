using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.AI;
using MiniMe.Configuration;
using MiniMe.Masks;
using MiniMe.Memory.Import;
using MiniMe.Memory.Lexical;
using MiniMe.Memory.Retrieval;

namespace MiniMe.Memory.Evaluation;

/// <summary>One query's outcome: its metrics and the document ids retrieved, best first.</summary>
public sealed record QueryEvaluation(string QueryId, double Ndcg, double Recall, double ReciprocalRank, IReadOnlyList<string> Retrieved);

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

    public async Task<EvaluationReport> EvaluateAsync(BeirDataset dataset, int k, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (k is < 1 or > 1000) throw new InvalidInputException($"k must be between 1 and 1000 (got {k}).");
        var stats = await store.GetStatsAsync(cancellationToken).ConfigureAwait(false);
        if (stats.Documents != 0)
            throw new InvalidInputException("Evaluation needs an empty store; it never imports into a memory that holds documents.");

        var clock = Stopwatch.StartNew();
        var chunks = await ImportAsync(dataset.Corpus, cancellationToken).ConfigureAwait(false);
        if (embeddings is not null && embeddingModel is not null)
            await new Importer(store, import, new KeywordTaskClassifier(), embeddings, embeddingModel).EmbedPendingAsync(null, cancellationToken).ConfigureAwait(false);
        var importTime = clock.Elapsed;

        clock.Restart();
        var retriever = new HybridRetriever(store, retrieval, embeddings, embeddingModel);
        var perQuery = new List<QueryEvaluation>(dataset.Queries.Count);
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
            IReadOnlyList<string> ranked;
            try
            {
                // Several chunks may come from one document: ask for more chunks than k documents.
                var result = await retriever.RetrieveAsync(new RetrievalRequest(query.Text, k * 3, SearchFilter.None, RetrievalBoosts.None), cancellationToken).ConfigureAwait(false);
                ranked = result.Hits.Select(h => h.Source[SourcePrefix.Length..]).Distinct(StringComparer.Ordinal).Take(k).ToList();
            }
            catch (InvalidInputException)
            {
                // A query with only stop words or punctuation finds nothing; it still counts, as zero.
                unsearchable++;
                ranked = [];
            }
            perQuery.Add(new QueryEvaluation(
                query.Id,
                RetrievalMetrics.NdcgAtK(ranked, judged, k),
                RetrievalMetrics.RecallAtK(ranked, judged, k),
                RetrievalMetrics.ReciprocalRankAtK(ranked, judged, k),
                ranked));
        }
        if (perQuery.Count == 0) throw new InvalidInputException($"Dataset {dataset.Name} has no query with a relevant document to evaluate.");

        return new EvaluationReport(
            dataset.Name,
            k,
            embeddings is null || embeddingModel is null ? "bm25" : "hybrid-rrf",
            dataset.Corpus.Count,
            chunks,
            perQuery.Count,
            unsearchable,
            withoutRelevant,
            perQuery.Average(q => q.Ndcg),
            perQuery.Average(q => q.Recall),
            perQuery.Average(q => q.ReciprocalRank),
            importTime,
            clock.Elapsed,
            perQuery);
    }

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
