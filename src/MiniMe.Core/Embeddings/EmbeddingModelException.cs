namespace MiniMe.Embeddings;

/// <summary>An embedding model or vocabulary is missing, invalid or failed at inference; the message says what to fix.</summary>
public sealed class EmbeddingModelException : Exception
{
    public EmbeddingModelException()
    {
    }

    public EmbeddingModelException(string message)
        : base(message)
    {
    }

    public EmbeddingModelException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
