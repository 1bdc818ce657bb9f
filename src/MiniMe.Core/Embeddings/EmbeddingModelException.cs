namespace MiniMe.Embeddings;

/// <summary>An embedding model or vocabulary is missing, invalid or failed at inference; the message says what to fix.</summary>
public sealed class EmbeddingModelException(string message, Exception? inner = null) : MiniMeException(ErrorCategory.Configuration, message, inner);
