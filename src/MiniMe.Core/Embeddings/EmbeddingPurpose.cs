using Microsoft.Extensions.AI;

namespace MiniMe.Embeddings;

/// <summary>
/// Says whether texts are search queries or documents, for models that embed the two differently
/// (snowflake-arctic-embed puts an instruction before queries). Unmarked calls embed documents.
/// </summary>
public static class EmbeddingPurpose
{
    /// <summary>The <see cref="EmbeddingGenerationOptions.AdditionalProperties"/> key.</summary>
    public const string PropertyKey = "minime.purpose";

    private const string QueryValue = "query";
    private const string DocumentValue = "document";

    /// <summary>Options marking the call as embedding search queries.</summary>
    public static EmbeddingGenerationOptions Query() => Create(QueryValue);

    /// <summary>Options marking the call as embedding documents to store.</summary>
    public static EmbeddingGenerationOptions Document() => Create(DocumentValue);

    /// <summary>True when <paramref name="options"/> marks the call as embedding queries.</summary>
    public static bool IsQuery(EmbeddingGenerationOptions? options) =>
        options?.AdditionalProperties?.TryGetValue(PropertyKey, out var value) == true
        && string.Equals(value as string, QueryValue, StringComparison.OrdinalIgnoreCase);

    private static EmbeddingGenerationOptions Create(string purpose) =>
        new() { AdditionalProperties = new AdditionalPropertiesDictionary { [PropertyKey] = purpose } };
}
