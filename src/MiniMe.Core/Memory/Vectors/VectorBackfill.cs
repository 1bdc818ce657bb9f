using System.Diagnostics;
using Microsoft.Extensions.AI;
using MiniMe.Embeddings;

namespace MiniMe.Memory.Vectors;

/// <summary>How far a vector fill has come: chunk texts embedded so far out of those that lacked a vector when it started.</summary>
public sealed record VectorFillProgress(long Done, long Total, TimeSpan Elapsed)
{
    /// <summary>Time left at the rate so far; null until there is a rate.</summary>
    public TimeSpan? Remaining => Done <= 0 || Total <= Done ? (Total <= Done ? TimeSpan.Zero : null)
        : TimeSpan.FromSeconds(Elapsed.TotalSeconds / Done * (Total - Done));
}

/// <summary>
/// Gives every stored chunk text a vector for the configured model, after the text is committed:
/// lexical search works from the moment an import writes, and dense results fill in. Pages through
/// the texts that lack a vector in content-hash order (a keyset cursor, so each page costs the same)
/// and commits each page, so a fill killed half way loses at most one page and the next fill
/// carries on where it stopped. Texts of one page are embedded together; the generator sorts them
/// by length so padding is small.
/// </summary>
public sealed class VectorBackfill(IMemoryStore store, IEmbeddingGenerator<string, Embedding<float>> embeddings, string model)
{
    /// <summary>Texts per page: large enough for length-sorted batches, small enough that a kill loses little.</summary>
    public const int PageSize = 256;

    public string Model { get; } = model;

    /// <summary>Chunk texts that still lack a vector for <see cref="Model"/>.</summary>
    public Task<long> PendingAsync(CancellationToken cancellationToken) => store.CountPendingEmbeddingsAsync(Model, cancellationToken);

    /// <summary>Embeds every pending text; returns how many were embedded. Cancelling keeps what was committed.</summary>
    public async Task<long> FillAsync(IProgress<VectorFillProgress>? progress, CancellationToken cancellationToken)
    {
        var total = await PendingAsync(cancellationToken).ConfigureAwait(false);
        if (total == 0) return 0;
        var clock = Stopwatch.StartNew();
        long done = 0;
        string? after = null;
        progress?.Report(new VectorFillProgress(0, total, TimeSpan.Zero));
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var page = await store.GetPendingEmbeddingsAsync(Model, after, PageSize, cancellationToken).ConfigureAwait(false);
            if (page.Count == 0) break;
            var vectors = await embeddings.GenerateAsync(page.Select(p => p.Text), EmbeddingPurpose.Document(), cancellationToken).ConfigureAwait(false);
            var rows = new List<(string, ReadOnlyMemory<float>)>(page.Count);
            for (var i = 0; i < page.Count; i++) rows.Add((page[i].ContentHash, vectors[i].Vector));
            await store.PutEmbeddingsAsync(Model, rows, cancellationToken).ConfigureAwait(false);
            done += page.Count;
            after = page[^1].ContentHash;
            // Texts imported while the fill runs are counted when they are met, so the total only grows.
            total = Math.Max(total, done);
            progress?.Report(new VectorFillProgress(done, total, clock.Elapsed));
        }
        return done;
    }
}
