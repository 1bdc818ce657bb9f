using System.Data.Common;

namespace MiniMe.Memory.Facts;

/// <summary>
/// The columns of the fact tables as every SQL fact store selects them, and their reading, so the
/// SQLite and PostgreSQL stores cannot drift apart. Only timestamps are read by the store (text in
/// SQLite, timestamptz in PostgreSQL).
/// </summary>
public static class FactRows
{
    public const string FactColumns =
        "f.id, f.text, f.category, f.source, f.confidence, f.importance, f.status, f.created_at, f.updated_at, " +
        "f.last_seen_at, f.seen_count, f.superseded_at, f.superseded_by, f.retracted_at, " +
        "f.origin_kind, f.origin_id, f.origin_message_id, f.origin_run_id";

    /// <summary>How many columns <see cref="FactColumns"/> holds; a query's extra columns start here.</summary>
    public const int FactColumnCount = 18;

    public const string HistoryColumns = "id, fact_id, change, at, text, related_fact_id, detail";

    public const string ReviewColumns = "id, candidate_id, existing_id, kind, reason, confidence, status, created_at, resolved_at";

    public static Fact ReadFact(DbDataReader r, Func<DbDataReader, int, DateTimeOffset> time)
    {
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(time);
        return new Fact(
            Id: r.GetInt64(0),
            Text: r.GetString(1),
            Category: r.GetString(2),
            Source: FactCodes.Parse<FactSource>(r.GetString(3)),
            Confidence: r.GetDouble(4),
            Importance: r.GetDouble(5),
            Status: FactCodes.Parse<FactStatus>(r.GetString(6)),
            CreatedAt: time(r, 7),
            UpdatedAt: time(r, 8),
            LastSeenAt: time(r, 9),
            SeenCount: r.GetInt32(10),
            SupersededAt: r.IsDBNull(11) ? null : time(r, 11),
            SupersededBy: r.IsDBNull(12) ? null : r.GetInt64(12),
            RetractedAt: r.IsDBNull(13) ? null : time(r, 13),
            Origin: r.IsDBNull(14) ? null : new FactOrigin(r.GetString(14), r.GetString(15), Text(r, 16), Text(r, 17)));
    }

    private static string? Text(DbDataReader r, int ordinal) => r.IsDBNull(ordinal) ? null : r.GetString(ordinal);

    public static FactHistoryEntry ReadHistory(DbDataReader r, Func<DbDataReader, int, DateTimeOffset> time)
    {
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(time);
        return new FactHistoryEntry(
            Id: r.GetInt64(0),
            FactId: r.GetInt64(1),
            Change: FactCodes.Parse<FactChange>(r.GetString(2)),
            At: time(r, 3),
            Text: r.IsDBNull(4) ? null : r.GetString(4),
            RelatedFactId: r.IsDBNull(5) ? null : r.GetInt64(5),
            Detail: r.IsDBNull(6) ? null : r.GetString(6));
    }

    public static FactReview ReadReview(DbDataReader r, Func<DbDataReader, int, DateTimeOffset> time)
    {
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(time);
        return new FactReview(
            Id: r.GetInt64(0),
            CandidateId: r.GetInt64(1),
            ExistingId: r.IsDBNull(2) ? null : r.GetInt64(2),
            Kind: FactCodes.Parse<FactReviewKind>(r.GetString(3)),
            Reason: r.GetString(4),
            Confidence: r.GetDouble(5),
            Status: FactCodes.Parse<FactReviewStatus>(r.GetString(6)),
            CreatedAt: time(r, 7),
            ResolvedAt: r.IsDBNull(8) ? null : time(r, 8));
    }
}
