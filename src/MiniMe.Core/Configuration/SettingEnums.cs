using System.Text.Json.Serialization;

namespace MiniMe.Configuration;

// The settings that take one of a few words. config.yaml and MINIME_ variables spell them in any case
// (openai, OpenAI); anything else is refused at load with the allowed values and a did-you-mean
// (SettingValues.Check). MiniMe writes them back in lower case (SettingValues.Name): config show,
// messages, and the tools settings hashed into workspace trust (hence the JSON names).

/// <summary>llm.provider: which model server the agent team and chat use.</summary>
public enum LlmProvider
{
    /// <summary>No model: ask is a dry run, chat answers 503.</summary>
    None,
    /// <summary>Any OpenAI-compatible server (OpenAI, llama.cpp, vLLM, LM Studio, ...).</summary>
    OpenAI,
    Ollama,
    Anthropic,
}

/// <summary>router.rules[].when.complexity: the classifier's task complexity (0-1) in three bands.</summary>
public enum TaskComplexity
{
    /// <summary>Below 0.35.</summary>
    Low,
    /// <summary>0.35 up to 0.65.</summary>
    Medium,
    /// <summary>0.65 and above.</summary>
    High,
}

/// <summary>memory.store: where the memory lives.</summary>
public enum MemoryStoreKind
{
    /// <summary>One SQLite file in the workspace (memory.path).</summary>
    Sqlite,
    /// <summary>A PostgreSQL server (memory.connectionString).</summary>
    Postgres,
}

/// <summary>memory.lexical: which index answers BM25 searches on the SQLite store (both rank with FTS5's bm25() formula).</summary>
public enum LexicalEngineKind
{
    /// <summary>Lucene.Net in processes that search many times (serve, eval); FTS5 in one-shot commands, which would spend more opening the index than they save.</summary>
    Auto,
    /// <summary>The Lucene.Net postings in memory.db.lexical/ (a cache of memory.db), FTS5 whenever it cannot answer exactly.</summary>
    Lucene,
    /// <summary>SQLite FTS5 only: no memory.db.lexical/ folder is opened (writes still log what it needs to catch up).</summary>
    Fts5,
}

/// <summary>memory.traces: where run traces are kept.</summary>
public enum TraceStoreKind
{
    /// <summary>One JSON Lines file per run in the workspace's traces/ folder.</summary>
    Files,
    /// <summary>The trace_events table of the PostgreSQL memory (needs memory.store: postgres).</summary>
    Postgres,
}

/// <summary>memory.vectorSearch: how PostgreSQL answers dense searches.</summary>
public enum VectorSearchMode
{
    /// <summary>pgvector HNSW when the server has the extension, else an exact scan.</summary>
    Auto,
    Exact,
    /// <summary>pgvector, required.</summary>
    Pgvector,
}

/// <summary>embeddings.provider, the older spelling of embeddings.model: none, or onnx (= model: file).</summary>
public enum EmbeddingProvider
{
    /// <summary>Lexical (BM25) retrieval only.</summary>
    None,
    /// <summary>A local ONNX model file (embeddings.modelPath, embeddings.vocabPath).</summary>
    Onnx,
}

/// <summary>tools.sandbox: where commands that run code are run.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<SandboxMode>))]
public enum SandboxMode
{
    /// <summary>Bubblewrap when it works here, else none.</summary>
    [JsonStringEnumMemberName("auto")] Auto,
    /// <summary>Bubblewrap, required: a command refuses to run without it.</summary>
    [JsonStringEnumMemberName("bwrap")] Bwrap,
    /// <summary>No sandbox: commands run with all of the user's access.</summary>
    [JsonStringEnumMemberName("none")] None,
}

/// <summary>llm.responseFormat: whether the model server is asked for a JSON object.</summary>
public enum LlmResponseFormat
{
    /// <summary>response_format / format: json.</summary>
    Json,
    /// <summary>The prompt alone asks for JSON.</summary>
    Text,
}

/// <summary>facts.capture: whether facts are captured from chat turns and runs (docs/facts.md, "Capture").</summary>
public enum FactCaptureMode
{
    /// <summary>No capture: no extra model call after a turn or run.</summary>
    Off,
    /// <summary>Every captured fact waits in `minime facts review` (a repetition of a known fact still reinforces it).</summary>
    Review,
    /// <summary>Captured facts at least facts.captureConfidence sure are remembered; less sure ones wait for review.</summary>
    Auto,
}
