namespace MiniMe.Memory.Evaluation;

public sealed record BeirDocument(string Id, string Title, string Text);

public sealed record BeirQuery(string Id, string Text);

/// <summary>
/// A retrieval test collection in BEIR layout: corpus.jsonl ({"_id","title","text"}),
/// queries.jsonl ({"_id","text"}) and qrels/&lt;split&gt;.tsv (query-id, corpus-id, score; with a header).
/// Only queries that have judgements in the split are evaluated.
/// </summary>
public sealed record BeirDataset(
    string Name,
    IReadOnlyList<BeirDocument> Corpus,
    IReadOnlyList<BeirQuery> Queries,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>> Qrels);
