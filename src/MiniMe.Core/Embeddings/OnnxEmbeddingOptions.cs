namespace MiniMe.Embeddings;

/// <summary>Settings for <see cref="OnnxEmbeddingGenerator"/>: a sentence-transformer style ONNX model plus its BERT WordPiece vocabulary.</summary>
public sealed record OnnxEmbeddingOptions
{
    /// <summary>Path to the ONNX model file.</summary>
    public required string ModelPath { get; init; }

    /// <summary>Path to the BERT WordPiece <c>vocab.txt</c> matching the model.</summary>
    public required string VocabPath { get; init; }

    /// <summary>Maximum tokens per input, including [CLS] and [SEP]; longer inputs are truncated.</summary>
    public int MaxTokens { get; init; } = 256;

    /// <summary>Lower-case text before tokenization (uncased models).</summary>
    public bool LowerCase { get; init; } = true;

    /// <summary>L2-normalize output vectors.</summary>
    public bool Normalize { get; init; } = true;

    /// <summary>Model identifier reported on embeddings; defaults to the model file name.</summary>
    public string? ModelId { get; init; }

    /// <summary>ONNX Runtime intra-op thread count.</summary>
    public int IntraOpThreads { get; init; } = 1;

    /// <summary>Maximum number of inputs per inference call.</summary>
    public int BatchSize { get; init; } = 16;
}
