using MiniMe.Memory.Facts;

namespace MiniMe.Memory.Migration;

/// <summary>
/// Counts and SHA-256 checksums of a whole fact store, over its export. Two stores hold the same facts
/// exactly when their digests are equal: every id, text, key, status and link, confidence and importance
/// bit for bit, timestamps at microsecond resolution (PostgreSQL's), vectors bit for bit.
/// </summary>
public sealed record FactDigest(
    long Facts, long History, long Reviews, long Vectors,
    string FactsSha256, string HistorySha256, string ReviewsSha256, string VectorsSha256)
{
    public static async Task<FactDigest> ComputeAsync(IFactExport store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        return Of(await store.ExportFactsAsync(cancellationToken).ConfigureAwait(false));
    }

    public static FactDigest Of(FactExport export)
    {
        ArgumentNullException.ThrowIfNull(export);
        using var facts = new MemoryDigest.Field();
        using var history = new MemoryDigest.Field();
        using var reviews = new MemoryDigest.Field();
        using var vectors = new MemoryDigest.Field();
        foreach (var (f, key) in export.Facts)
        {
            facts.Int(f.Id).Text(f.Text).Text(key).Text(f.Category).Text(FactCodes.Code(f.Source)).Int(Bits(f.Confidence)).Int(Bits(f.Importance))
                .Text(FactCodes.Code(f.Status)).Time(f.CreatedAt).Time(f.UpdatedAt).Time(f.LastSeenAt).Int(f.SeenCount);
            Optional(facts, f.SupersededAt);
            Optional(facts, f.SupersededBy);
            Optional(facts, f.RetractedAt);
            if (f.Origin is { } o) facts.Int(1).Text(o.Kind).Text(o.Id).Text(o.MessageId).Text(o.RunId);
            else facts.Int(0);
        }
        foreach (var h in export.History)
        {
            history.Int(h.Id).Int(h.FactId).Text(FactCodes.Code(h.Change)).Time(h.At).Text(h.Text).Text(h.Detail);
            Optional(history, h.RelatedFactId);
        }
        foreach (var r in export.Reviews)
        {
            reviews.Int(r.Id).Int(r.CandidateId).Text(FactCodes.Code(r.Kind)).Text(r.Reason).Int(Bits(r.Confidence))
                .Text(FactCodes.Code(r.Status)).Time(r.CreatedAt);
            Optional(reviews, r.ExistingId);
            Optional(reviews, r.ResolvedAt);
        }
        foreach (var v in export.Vectors)
            vectors.Int(v.FactId).Text(v.Model).Int(v.Vector.Length).Floats(v.Vector.Span);
        return new FactDigest(export.Facts.Count, export.History.Count, export.Reviews.Count, export.Vectors.Count,
            facts.Finish(), history.Finish(), reviews.Finish(), vectors.Finish());
    }

    private static long Bits(double value) => BitConverter.DoubleToInt64Bits(value);

    private static void Optional(MemoryDigest.Field field, long? value)
    {
        if (value is { } v) field.Int(1).Int(v);
        else field.Int(0);
    }

    private static void Optional(MemoryDigest.Field field, DateTimeOffset? value)
    {
        if (value is { } v) field.Int(1).Time(v);
        else field.Int(0);
    }
}
