namespace MiniMe.Tests.Support;

/// <summary>A fact that needs a local PostgreSQL server; skipped, with the reason, only when the binaries are absent.</summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (PostgresBinaries.SkipReason is { } reason) Skip = reason;
    }
}

/// <summary>A fact that needs PostgreSQL with the pgvector extension installed.</summary>
public sealed class PgvectorFactAttribute : FactAttribute
{
    public PgvectorFactAttribute()
    {
        if (PostgresBinaries.PgvectorSkipReason is { } reason) Skip = reason;
    }
}
