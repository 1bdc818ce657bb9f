namespace MiniMe.Configuration;

/// <summary>The whole of config.yaml, bound from YAML plus MINIME_ environment overrides.</summary>
public sealed class MiniMeOptions
{
    public UserOptions User { get; set; } = new();
    public MemoryOptions Memory { get; set; } = new();
    public ImportOptions Import { get; set; } = new();
    public RetrievalOptions Retrieval { get; set; } = new();
    public ContextOptions Context { get; set; } = new();
    public EmbeddingOptions Embeddings { get; set; } = new();
    public FactOptions Facts { get; set; } = new();
    public LlmOptions Llm { get; set; } = new();
}

public sealed class UserOptions
{
    public string Name { get; set; } = "engineer";
}

public sealed class MemoryOptions
{
    /// <summary>sqlite (default). postgres comes with the scale work.</summary>
    public string Store { get; set; } = "sqlite";
    /// <summary>SQLite file, relative to the workspace.</summary>
    public string Path { get; set; } = "memory.db";
    public string? ConnectionString { get; set; }
}

public sealed class ImportOptions
{
    /// <summary>Target chunk size in characters; chunks break on paragraph boundaries.</summary>
    public int ChunkChars { get; set; } = 1200;
    /// <summary>Characters of the previous chunk's tail carried into the next one.</summary>
    public int OverlapChars { get; set; } = 200;
    /// <summary>Files larger than this are skipped and reported.</summary>
    public long MaxFileBytes { get; set; } = 4 * 1024 * 1024;
    /// <summary>Directory names never descended into.</summary>
    public List<string> IgnoreDirectories { get; set; } = [".git", "bin", "obj", "node_modules", ".minime", ".vs", ".idea", "__pycache__"];
}

public sealed class RetrievalOptions
{
    public int DefaultK { get; set; } = 8;
    /// <summary>BM25 field weights: title (file name and heading), body, code identifiers split into words.</summary>
    public double TitleWeight { get; set; } = 2.5;
    public double BodyWeight { get; set; } = 1.0;
    public double SymbolWeight { get; set; } = 0.7;
    /// <summary>Reciprocal rank fusion constant when dense candidates exist.</summary>
    public int RrfK { get; set; } = 60;
    /// <summary>Recency half-life in days for the recency mask weight.</summary>
    public double RecencyHalfLifeDays { get; set; } = 30;
}

public sealed class ContextOptions
{
    public int BudgetTokens { get; set; } = 6000;
}

public sealed class EmbeddingOptions
{
    /// <summary>none (lexical retrieval only) or onnx (a local model file).</summary>
    public string Provider { get; set; } = "none";
    public string? ModelPath { get; set; }
    public string? VocabPath { get; set; }
    public int MaxTokens { get; set; } = 256;
}

public sealed class LlmOptions
{
    /// <summary>none, openai, ollama or anthropic.</summary>
    public string Provider { get; set; } = "none";
    public string? Endpoint { get; set; }
    public string? Model { get; set; }
}
