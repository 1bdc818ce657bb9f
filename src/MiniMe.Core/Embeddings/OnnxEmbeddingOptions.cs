namespace MiniMe.Embeddings;

/// <summary>Settings for <see cref="OnnxEmbeddingGenerator"/>: a sentence-transformer style ONNX model plus its BERT WordPiece vocabulary.</summary>
public sealed record OnnxEmbeddingOptions
{
    /// <summary>Path to the ONNX model file.</summary>
    public required string ModelPath { get; init; }

    /// <summary>Path to the BERT WordPiece <c>vocab.txt</c> matching the model.</summary>
    public required string VocabPath { get; init; }

    /// <summary>Word pieces per window, including [CLS], [SEP] and any prefix; longer inputs are embedded as several overlapping windows.</summary>
    public int MaxTokens { get; init; } = 256;

    /// <summary>Word pieces two consecutive windows of a long input share (at most half a window).</summary>
    public int WindowOverlapTokens { get; init; } = 32;

    /// <summary>Most windows per input; the rest of a longer input is not embedded. 1 truncates at <see cref="MaxTokens"/>.</summary>
    public int MaxWindows { get; init; } = 32;

    /// <summary>Lower-case and strip accents before tokenization (uncased models).</summary>
    public bool LowerCase { get; init; } = true;

    /// <summary>L2-normalize output vectors.</summary>
    public bool Normalize { get; init; } = true;

    /// <summary>How token vectors are pooled when the model outputs one vector per token.</summary>
    public EmbeddingPooling Pooling { get; init; } = EmbeddingPooling.Mean;

    /// <summary>Text put before each input embedded with <see cref="EmbeddingPurpose.Query"/>.</summary>
    public string QueryPrefix { get; init; } = "";

    /// <summary>Text put before each input embedded as a document (the default purpose).</summary>
    public string DocumentPrefix { get; init; } = "";

    /// <summary>
    /// Name at the start of the content-derived model id (see <see cref="OnnxEmbeddingGenerator.ModelId"/>); defaults to the
    /// bundled model's name when the file is one, else "onnx". Never the file name, so renaming a file keeps its vectors.
    /// </summary>
    public string? ModelName { get; init; }

    /// <summary>Lower-case hex SHA-256 of the model file when already known (bundled models); otherwise it is computed once.</summary>
    public string? ModelSha256 { get; init; }

    /// <summary>Model identifier reported on embeddings, used verbatim; leave unset for the content-derived id.</summary>
    public string? ModelId { get; init; }

    /// <summary>ONNX Runtime intra-op thread count; 0 uses <see cref="Environment.ProcessorCount"/>.</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>Maximum number of windows per inference call.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>
    /// Let ONNX Runtime's worker threads spin between operators instead of sleeping. Off by default: on a busy machine
    /// spinning threads take cores the work needs (measured in docs/benchmarks.md); it can help a little on an idle one.
    /// </summary>
    public bool AllowSpinning { get; init; }

    /// <summary>Options for a bundled model written out by <see cref="BundledModels.Materialize"/>: its pooling, prefixes, window and known hash.</summary>
    public static OnnxEmbeddingOptions For(MaterializedModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new OnnxEmbeddingOptions
        {
            ModelPath = model.ModelPath,
            VocabPath = model.VocabPath,
            MaxTokens = model.Model.MaxTokens,
            Pooling = model.Model.Pooling,
            QueryPrefix = model.Model.QueryPrefix,
            DocumentPrefix = model.Model.DocumentPrefix,
            ModelName = model.Model.Name,
            ModelSha256 = model.Model.ModelSha256,
        };
    }
}
