namespace MiniMe.Context;

/// <summary>Tunables of <see cref="ContextBroker"/>.</summary>
public sealed record ContextBrokerOptions
{
    /// <summary>How long an identical request is served from cache. Zero disables caching.</summary>
    public TimeSpan CacheWindow { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Maximum cached assemblies; the oldest is evicted first.</summary>
    public int CacheCapacity { get; init; } = 64;

    /// <summary>A head block that would shrink below this many tokens is dropped instead of truncated.</summary>
    public int MinTruncatedTokens { get; init; } = 8;
}
