namespace MiniMe.Memory;

/// <summary>A retrieved chunk with provenance and score.</summary>
public sealed record SearchHit
{
    public required long Id { get; init; }
    public required string Source { get; init; }
    public required int StartOffset { get; init; }
    public required int EndOffset { get; init; }
    public required string Domain { get; init; }
    public IReadOnlyList<string> Tags { get; init; } = [];
    public required string Text { get; init; }
    public string? Heading { get; init; }
    /// <summary>Final score after fusion and mask re-weighting (higher is better).</summary>
    public required double Score { get; init; }
    /// <summary>Lexical (BM25) score before re-weighting, if it was a lexical candidate.</summary>
    public double? LexicalScore { get; init; }
    /// <summary>Dense cosine similarity, if it was a dense candidate.</summary>
    public double? DenseScore { get; init; }
    public DateTimeOffset ImportedAt { get; init; }
    public int ReuseCount { get; init; }
}
