namespace MiniMe.Storage.Postgres;

/// <summary>The PostgreSQL memory store cannot be reached or used. The message is one line and never holds the password.</summary>
public sealed class PostgresUnavailableException(string message, Exception? inner = null) : MiniMeException(ErrorCategory.Unavailable, message, inner);
