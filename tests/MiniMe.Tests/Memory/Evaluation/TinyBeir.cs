namespace MiniMe.Tests.Memory.Evaluation;

/// <summary>
/// A four-document BEIR dataset whose metrics can be worked out by hand (each query's words occur
/// in exactly one document):
///   q1 "cherry blossom spring" -> d3 (grade 1): d3 ranked 1st: nDCG 1, recall 1, RR 1
///   q2 "durian"                -> d4 (2), d1 (1): only d4 matches, ranked 1st:
///                                 nDCG@10 = 2 / (2 + 1/log2 3) = 0.760164, recall 0.5, RR 1
///   q3 "bananas"               -> d1 (1): only d2 matches: 0, 0, 0
///   q4 "a ? !"                 -> d1 (1): nothing searchable: 0, 0, 0
///   q5 (no judgements)         -> not evaluated
/// Means over 4 queries: nDCG@10 0.440041, recall@10 0.375, MRR@10 0.5.
/// </summary>
internal static class TinyBeir
{
    public const double Ndcg10 = (1 + 2 / (2 + 0.63092975357145743)) / 4;
    public const double Recall10 = 0.375;
    public const double Mrr10 = 0.5;

    public static string Write(string root)
    {
        Directory.CreateDirectory(Path.Combine(root, "qrels"));
        File.WriteAllLines(Path.Combine(root, "corpus.jsonl"),
        [
            """{"_id": "d1", "title": "Apple orchard", "text": "Apples grow in orchards and are picked during autumn."}""",
            """{"_id": "d2", "title": "Banana plantation", "text": "Bananas grow on tropical plantations near the coast."}""",
            """{"_id": "d3", "title": "Cherry trees", "text": "Cherry trees blossom in spring across Japan."}""",
            """{"_id": "d4", "title": "Night market", "text": "Durian is sold at night markets; its smell is famous.", "metadata": {}}""",
        ]);
        File.WriteAllLines(Path.Combine(root, "queries.jsonl"),
        [
            """{"_id": "q1", "text": "cherry blossom spring"}""",
            """{"_id": "q2", "text": "durian"}""",
            """{"_id": "q3", "text": "bananas"}""",
            """{"_id": "q4", "text": "a ? !"}""",
            """{"_id": "q5", "text": "apples"}""",
        ]);
        File.WriteAllLines(Path.Combine(root, "qrels", "test.tsv"),
        [
            "query-id\tcorpus-id\tscore",
            "q1\td3\t1",
            "q2\td4\t2",
            "q2\td1\t1",
            "q3\td1\t1",
            "q4\td1\t1",
        ]);
        return root;
    }
}
