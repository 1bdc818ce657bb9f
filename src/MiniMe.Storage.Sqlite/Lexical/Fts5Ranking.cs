using Lucene.Net.Index;
using Lucene.Net.Search;
using Lucene.Net.Search.Similarities;
using Lucene.Net.Util;

namespace MiniMe.Storage.Sqlite.Lexical;

/// <summary>
/// The similarity of the Lucene folder: norms hold each field's exact token count (what FTS5 counts), and scorers
/// report raw frequencies; <see cref="Fts5Ranking"/> does the ranking itself.
/// </summary>
internal sealed class Fts5Similarity : Similarity
{
    public override long ComputeNorm(FieldInvertState state) => state.Length;

    public override SimWeight ComputeWeight(float queryBoost, CollectionStatistics collectionStats, params TermStatistics[] termStats) => new Weight();

    public override SimScorer GetSimScorer(SimWeight weight, AtomicReaderContext context) => new Scorer();

    private sealed class Weight : SimWeight
    {
        public override float GetValueForNormalization() => 1;

        public override void Normalize(float queryNorm, float topLevelBoost)
        {
        }
    }

    private sealed class Scorer : SimScorer
    {
        public override float Score(int doc, float freq) => freq;

        public override float ComputeSlopFactor(int distance) => 1;

        public override float ComputePayloadFactor(int doc, int start, int end, BytesRef payload) => 1;
    }
}

/// <summary>
/// FTS5's bm25() over Lucene's postings, term at a time: for each phrase, idf = ln((N − n + 0.5) / (n + 0.5)) (1e-6 when
/// not positive) over the n chunks holding it in any column, and idf · f·(k1 + 1) / (f + k1·(1 − b + b·|D| / avgdl)) with
/// f the column-weighted sum of its frequencies, |D| the chunk's tokens in all columns; k1 = 1.2, b = 0.75; summed over
/// the phrases. The same formula as chunks_fts (and the PostgreSQL store), so the ranking — and the raw scores fusion
/// normalizes — stay FTS5's, without FTS5's per-row SQL function calls.
/// </summary>
internal static class Fts5Ranking
{
    private const double K1 = 1.2;
    private const double B = 0.75;

    /// <summary>Per-searcher statistics: each document's total length and the average over live documents.</summary>
    public sealed class Statistics
    {
        public Statistics(IndexReader reader)
        {
            Lengths = new int[reader.MaxDoc];
            long total = 0;
            foreach (var leaf in reader.Leaves)
            {
                var atomic = leaf.AtomicReader;
                var live = atomic.LiveDocs;
                var norms = LuceneQueryTranslator.Fields.Select(atomic.GetNormValues).ToArray();
                for (var d = 0; d < atomic.MaxDoc; d++)
                {
                    long length = 0;
                    foreach (var norm in norms)
                        if (norm is not null) length += norm.Get(d);
                    Lengths[leaf.DocBase + d] = (int)length;
                    if (live is null || live.Get(d)) total += length;
                }
            }
            Documents = reader.NumDocs;
            AverageLength = Documents == 0 ? 1 : Math.Max(total / (double)Documents, 1e-9);
        }

        public int[] Lengths { get; }

        public int Documents { get; }

        public double AverageLength { get; }
    }

    /// <summary>Scratch arrays of one search at a time (a pooled session holds one).</summary>
    public sealed class Scratch
    {
        public double[] Scores = [];
        public double[] Frequencies = [];
        public int[] Stamps = [];
        public bool[] Touched = [];
        public int Stamp;

        public void Ensure(int size)
        {
            if (Scores.Length >= size) return;
            Scores = new double[size];
            Frequencies = new double[size];
            Stamps = new int[size];
            Touched = new bool[size];
            Stamp = 0;
        }
    }

    public static List<(int Doc, double Score)> Rank(
        IndexSearcher searcher, Statistics statistics, IReadOnlyList<IReadOnlyList<(string Term, int Position)>> phrases,
        double[] weights, Filter? filter, int limit, Scratch scratch)
    {
        var reader = searcher.IndexReader;
        scratch.Ensure(reader.MaxDoc);
        var scores = scratch.Scores;
        var frequencies = scratch.Frequencies;
        var stamps = scratch.Stamps;
        var inTouched = scratch.Touched;
        var touched = new List<int>();
        var hits = new List<int>();
        var leaves = reader.Leaves;
        foreach (var phrase in phrases)
        {
            if (phrase.Count == 0) continue;
            var stamp = ++scratch.Stamp;
            hits.Clear();
            for (var f = 0; f < LuceneQueryTranslator.Fields.Length; f++)
            {
                var field = LuceneQueryTranslator.Fields[f];
                Query query;
                if (phrase.Count == 1) query = new TermQuery(new Term(field, phrase[0].Term));
                else
                {
                    var phraseQuery = new PhraseQuery();
                    foreach (var (term, position) in phrase) phraseQuery.Add(new Term(field, term), position);
                    query = phraseQuery;
                }
                var weight = searcher.CreateNormalizedWeight(query);
                foreach (var leaf in leaves)
                {
                    var scorer = weight.GetScorer(leaf, leaf.AtomicReader.LiveDocs);
                    if (scorer is null) continue;
                    int doc;
                    while ((doc = scorer.NextDoc()) != DocIdSetIterator.NO_MORE_DOCS)
                    {
                        var global = leaf.DocBase + doc;
                        if (stamps[global] != stamp)
                        {
                            stamps[global] = stamp;
                            frequencies[global] = 0;
                            hits.Add(global);
                        }
                        frequencies[global] += weights[f] * scorer.Freq;
                    }
                }
            }
            if (hits.Count == 0) continue;
            var idf = Math.Log((statistics.Documents - hits.Count + 0.5) / (hits.Count + 0.5));
            if (idf <= 0) idf = 1e-6;
            foreach (var doc in hits)
            {
                var frequency = frequencies[doc];
                var score = idf * (frequency * (K1 + 1)) / (frequency + K1 * (1 - B + B * statistics.Lengths[doc] / statistics.AverageLength));
                if (!inTouched[doc])
                {
                    inTouched[doc] = true;
                    touched.Add(doc);
                    scores[doc] = 0;
                }
                scores[doc] += score;
            }
        }
        var allowed = filter is null ? null : Allowed(filter, reader);
        var top = new PriorityQueue<(int Doc, double Score), (double, int)>(limit + 1);
        foreach (var doc in touched)
        {
            inTouched[doc] = false;
            if (allowed is not null && !allowed.Get(doc)) continue;
            // The queue's head is the worst kept: lowest score, and among equals the highest doc.
            top.Enqueue((doc, scores[doc]), (scores[doc], -doc));
            if (top.Count > limit) top.Dequeue();
        }
        var result = new List<(int Doc, double Score)>(top.Count);
        while (top.Count > 0) result.Add(top.Dequeue());
        result.Reverse();
        return result;
    }

    private static FixedBitSet Allowed(Filter filter, IndexReader reader)
    {
        var allowed = new FixedBitSet(reader.MaxDoc);
        foreach (var leaf in reader.Leaves)
        {
            var set = filter.GetDocIdSet(leaf, leaf.AtomicReader.LiveDocs);
            var iterator = set?.GetIterator();
            if (iterator is null) continue;
            int doc;
            while ((doc = iterator.NextDoc()) != DocIdSetIterator.NO_MORE_DOCS) allowed.Set(leaf.DocBase + doc);
        }
        return allowed;
    }
}
