namespace MiniMe.Memory.Retrieval;

/// <summary>Mask-driven re-weighting of candidates (SPEC 3.3): all zero means plain relevance.</summary>
/// <param name="Domain">The task's domain; chunks of this domain get score * (1 + DomainWeight).</param>
/// <param name="RecencyWeight">Chunks imported recently get score * (1 + RecencyWeight * 2^(-age/halfLife)).</param>
/// <param name="ReuseWeight">Chunks reused in earlier contexts get score * (1 + ReuseWeight * log2(1 + reuse)).</param>
public sealed record RetrievalBoosts(string? Domain, double DomainWeight, double RecencyWeight, double ReuseWeight)
{
    public static RetrievalBoosts None { get; } = new(null, 0, 0, 0);
}

/// <summary>Which candidate lists a retrieval uses.</summary>
public enum RetrievalMode
{
    /// <summary>BM25, plus dense candidates fused in when an embedding model is configured.</summary>
    Hybrid,
    /// <summary>BM25 only.</summary>
    Lexical,
    /// <summary>Dense (cosine) only; needs an embedding model.</summary>
    Dense,
}

public sealed record RetrievalRequest(string Query, int K, SearchFilter Filter, RetrievalBoosts Boosts, RetrievalMode Mode = RetrievalMode.Hybrid);

/// <summary>Ranked hits plus an account of how they were found, for the trace.</summary>
public sealed record RetrievalResult(
    IReadOnlyList<SearchHit> Hits,
    string MatchExpression,
    int LexicalCandidates,
    int DenseCandidates,
    string Mode,
    double ElapsedMs)
{
    /// <summary>Nothing retrieved because the text has no searchable word ("thanks!", "do it").</summary>
    public static RetrievalResult NoSearchableWords { get; } = new([], "", 0, 0, "skipped (no searchable words)", 0);
}
