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
    public VectorOptions Vectors { get; set; } = new();
    public FactOptions Facts { get; set; } = new();
    public LlmOptions Llm { get; set; } = new();
    /// <summary>Rules that pick a named model (llm.models) by agent, node type, task complexity and budget left (docs/models.md).</summary>
    public RouterOptions Router { get; set; } = new();
    public ToolsOptions Tools { get; set; } = new();
    /// <summary>Program hooks told about run, node, agent-call and tool events (docs/hooks.md).</summary>
    public List<MiniMe.Hooks.HookOptions> Hooks { get; set; } = [];
    public AgentsOptions Agents { get; set; } = new();
    /// <summary>Which mask policy sets a run's weights: heuristic, learned or auto (docs/learning.md).</summary>
    public MaskOptions Masks { get; set; } = new();
}

public sealed class UserOptions
{
    public string Name { get; set; } = "engineer";
}

public sealed class MemoryOptions
{
    /// <summary>sqlite (default, one file in the workspace) or postgres (a server; needs <see cref="ConnectionString"/>).</summary>
    public MemoryStoreKind Store { get; set; } = MemoryStoreKind.Sqlite;
    /// <summary>SQLite file, relative to the workspace.</summary>
    public string Path { get; set; } = "memory.db";
    /// <summary>PostgreSQL connection string (Npgsql format), usually from MINIME_MEMORY__CONNECTIONSTRING.</summary>
    public string? ConnectionString { get; set; }
    /// <summary>PostgreSQL dense search: auto (pgvector HNSW when the server has it, else exact), exact, or pgvector.</summary>
    public VectorSearchMode VectorSearch { get; set; } = VectorSearchMode.Auto;
    /// <summary>Run traces: files (default, one JSON Lines file per run) or postgres (with the memory, so every server instance sees every run).</summary>
    public TraceStoreKind Traces { get; set; } = TraceStoreKind.Files;
    /// <summary>SQLite store: auto (Lucene.Net in long-running processes, FTS5 in one-shot commands), lucene or fts5.</summary>
    public LexicalEngineKind Lexical { get; set; } = LexicalEngineKind.Auto;
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
    /// <summary>How BM25 and dense candidates are combined when embeddings are on (see docs/benchmarks.md, "Retrieval quality").</summary>
    public FusionMethod Fusion { get; set; } = FusionMethod.Convex;
    /// <summary>Reciprocal rank fusion constant (fusion: rrf).</summary>
    public int RrfK { get; set; } = 60;
    /// <summary>Convex fusion: each list's scores are normalised per query (minmax or zscore) before weighting.</summary>
    public ScoreNormalization Normalization { get; set; } = ScoreNormalization.MinMax;
    /// <summary>Convex fusion: weight of the dense score for natural-language queries (the BM25 score gets 1 - this).</summary>
    public double DenseWeight { get; set; } = 0.4;
    /// <summary>Convex fusion: weight of the dense score for queries that name code (HnswIndex.Search, snake_case, "quoted terms").</summary>
    public double IdentifierDenseWeight { get; set; } = 0.1;
    /// <summary>A chunk only the dense list found must reach this cosine to be a result (0 = keep all); chunks BM25 also found keep theirs.</summary>
    public double DenseFloor { get; set; } = 0.2;
    /// <summary>When the best dense cosine is below this, the query is answered by BM25 alone (0 = never).</summary>
    public double DenseMinBest { get; set; } = 0.3;
    /// <summary>Recency half-life in days for the recency mask weight.</summary>
    public double RecencyHalfLifeDays { get; set; } = 30;
}

/// <summary>How lexical and dense candidate lists become one ranking.</summary>
public enum FusionMethod
{
    /// <summary>Reciprocal rank fusion: 1 / (rrfK + rank) summed over both lists; ignores score gaps.</summary>
    Rrf,
    /// <summary>Weighted sum of per-query normalised scores: (1 - w) * bm25 + w * cosine.</summary>
    Convex,
}

/// <summary>Per-query score normalisation for convex fusion.</summary>
public enum ScoreNormalization
{
    /// <summary>(s - min) / (max - min) over the list: the best candidate 1, the last 0.</summary>
    MinMax,
    /// <summary>(s - mean) / standard deviation over the list.</summary>
    ZScore,
}

public sealed class ContextOptions
{
    public int BudgetTokens { get; set; } = 6000;
}

public sealed class EmbeddingOptions
{
    /// <summary>The model names embeddings.model accepts, in the order help lists them.</summary>
    public static IReadOnlyList<string> ModelNames { get; } = ["minilm", "arctic-xs", "file", "none"];

    /// <summary>
    /// minilm (all-MiniLM-L6-v2, bundled, the default), arctic-xs (snowflake-arctic-embed-xs, bundled),
    /// file (any sentence-transformer ONNX export: modelPath and vocabPath) or none (lexical retrieval only).
    /// Unset: what the older embeddings.provider says (none or onnx = file), else minilm.
    /// </summary>
    public string? Model { get; set; }

    /// <summary>Older spelling of the choice: none or onnx (= model: file). embeddings.model wins when both are set.</summary>
    public EmbeddingProvider? Provider { get; set; }

    /// <summary>model: file only. Paths relative to the workspace.</summary>
    public string? ModelPath { get; set; }
    public string? VocabPath { get; set; }

    /// <summary>model: file only: mean (sentence-transformers default) or cls.</summary>
    public MiniMe.Embeddings.EmbeddingPooling? Pooling { get; set; }
    /// <summary>model: file only: text put before every search query / every stored text before embedding.</summary>
    public string? QueryPrefix { get; set; }
    public string? DocumentPrefix { get; set; }

    /// <summary>Word pieces per window (including [CLS] and [SEP]); longer texts are embedded as overlapping windows. Unset: the model's own length.</summary>
    public int? MaxTokens { get; set; }
    /// <summary>Windows a long text is embedded as (their vectors averaged); 1 = cut the text at maxTokens.</summary>
    public int MaxWindows { get; set; } = 32;
    /// <summary>ONNX Runtime threads per inference; 0 = one per core.</summary>
    public int Threads { get; set; }
    /// <summary>Texts per inference call (sorted by length, padded to the longest in the batch).</summary>
    public int BatchSize { get; set; } = 32;
    /// <summary>Where bundled models are written once (verified by SHA-256). Unset: $XDG_CACHE_HOME/minime/models or ~/.cache/minime/models.</summary>
    public string? CacheDirectory { get; set; }

    /// <summary>The model in effect: <see cref="Model"/> in lower case, else the one <see cref="Provider"/> implies, else minilm.</summary>
    public string EffectiveModel => Model is { Length: > 0 } m ? m.Trim().ToLowerInvariant() : Provider switch
    {
        EmbeddingProvider.None => "none",
        EmbeddingProvider.Onnx => "file",
        _ => "minilm",
    };

    /// <summary>True when dense retrieval is on.</summary>
    public bool Enabled => EffectiveModel != "none";
}

/// <summary>Dense vector search: exact scan for small memories, an HNSW index above the threshold.</summary>
public sealed class VectorOptions
{
    /// <summary>Vectors per model below which searches scan every vector exactly; 0 always uses the index.</summary>
    public int AnnThreshold { get; set; } = 20_000;
    /// <summary>HNSW links per node (layer 0 keeps twice as many); changing it rebuilds the index.</summary>
    public int M { get; set; } = 16;
    /// <summary>HNSW candidate list while building: higher is slower to build and more accurate.</summary>
    public int EfConstruction { get; set; } = 120;
    /// <summary>HNSW candidate list while searching: higher is slower and more accurate.</summary>
    public int EfSearch { get; set; } = 128;
    /// <summary>
    /// PostgreSQL only: pgvector's HNSW index keeps half-precision copies (halfvec), 43% smaller at the
    /// same recall@10 on 384-dimension vectors (docs/benchmarks.md); stored vectors and exact scans stay
    /// full precision. Changing it rebuilds the index.
    /// </summary>
    public bool HalfPrecision { get; set; } = true;
}

public sealed class LlmOptions
{
    /// <summary>none, openai (any OpenAI-compatible server), ollama or anthropic.</summary>
    public LlmProvider Provider { get; set; } = LlmProvider.None;
    /// <summary>Base URL. openai: up to /v1 (default https://api.openai.com/v1); ollama: default http://127.0.0.1:11434; anthropic: default https://api.anthropic.com.</summary>
    public string? Endpoint { get; set; }
    public string? Model { get; set; }
    /// <summary>Environment variable holding the API key (default OPENAI_API_KEY or ANTHROPIC_API_KEY). The key itself never goes in config.yaml.</summary>
    public string? ApiKeyVariable { get; set; }
    /// <summary>Per attempt: a model call that takes longer is abandoned and retried.</summary>
    public int TimeoutSeconds { get; set; } = 120;
    /// <summary>Retries with exponential backoff after 429, 5xx, connection errors and timeouts.</summary>
    public int MaxRetries { get; set; } = 3;
    /// <summary>First retry delay; later ones grow exponentially with jitter. A Retry-After header wins.</summary>
    public int RetryBaseDelayMs { get; set; } = 1000;
    /// <summary>Token budget of one run across all model calls (prompt + completion); exceeding it stops the run.</summary>
    public int MaxRunTokens { get; set; } = 100_000;
    /// <summary>Cap on one model answer (also capped by what is left of the run budget).</summary>
    public int MaxOutputTokens { get; set; } = 4096;
    /// <summary>Upper bound on Builder/Critic rounds; the masks may choose fewer.</summary>
    public int MaxIterations { get; set; } = 3;
    /// <summary>Re-asks of an agent whose output stays invalid after deterministic repair.</summary>
    public int MaxRepairAttempts { get; set; } = 2;
    /// <summary>Agents whose routing weight from the masks is below this are skipped.</summary>
    public double SkipAgentsBelow { get; set; } = 0.2;
    /// <summary>Overrides the temperature the masks choose.</summary>
    public double? Temperature { get; set; }
    /// <summary>json asks the server for a JSON object (response_format / format: json); text relies on the prompt alone.</summary>
    public LlmResponseFormat ResponseFormat { get; set; } = LlmResponseFormat.Json;
    /// <summary>USD per million tokens by model; models not listed cost 0 and are marked unpriced in traces.</summary>
    public List<ModelPrice> Prices { get; set; } = [];
    /// <summary>Named model endpoints (docs/models.md); absent: the one model of llm.provider/endpoint/model, named <c>default</c>.</summary>
    public List<NamedModelOptions> Models { get; set; } = [];
    /// <summary>Which named model each agent calls; an agent not listed calls the default model.</summary>
    public AgentModelOptions Agents { get; set; } = new();
    /// <summary>Named models tried in order when the chosen one fails with a timeout, HTTP 5xx, 429 (after its retries) or cannot be reached.</summary>
    public List<string> Fallbacks { get; set; } = [];
}

/// <summary>One entry of llm.models: a model on a server, under a name agents, fallbacks and router rules use.</summary>
public sealed class NamedModelOptions
{
    public string Name { get; set; } = "";
    public LlmProvider Provider { get; set; } = LlmProvider.None;
    /// <summary>Base URL as llm.endpoint (default per provider).</summary>
    public string? Endpoint { get; set; }
    public string? Model { get; set; }
    /// <summary>Environment variable holding this server's key (default OPENAI_API_KEY or ANTHROPIC_API_KEY).</summary>
    public string? ApiKeyVariable { get; set; }
    /// <summary>USD per million input tokens (default: llm.prices by model id).</summary>
    public decimal? InputPerMillion { get; set; }
    /// <summary>USD per million output tokens (default: llm.prices by model id).</summary>
    public decimal? OutputPerMillion { get; set; }
    /// <summary>Per attempt (default llm.timeoutSeconds).</summary>
    public int? TimeoutSeconds { get; set; }
}

/// <summary>llm.agents: the named model of each agent (null: the default model).</summary>
public sealed class AgentModelOptions
{
    public string? Architect { get; set; }
    public string? Builder { get; set; }
    public string? Critic { get; set; }
    public string? Integrator { get; set; }
    public string? Chat { get; set; }

    /// <summary>(agent, model name) for every agent given a model.</summary>
    public IEnumerable<(string Agent, string Model)> Assigned()
    {
        if (Architect is { Length: > 0 } a) yield return ("architect", a);
        if (Builder is { Length: > 0 } b) yield return ("builder", b);
        if (Critic is { Length: > 0 } c) yield return ("critic", c);
        if (Integrator is { Length: > 0 } i) yield return ("integrator", i);
        if (Chat is { Length: > 0 } h) yield return ("chat", h);
    }
}

/// <summary>router: the first rule whose conditions all hold picks the model (before llm.agents).</summary>
public sealed class RouterOptions
{
    public List<RouterRule> Rules { get; set; } = [];
}

public sealed class RouterRule
{
    public RouterCondition When { get; set; } = new();
    /// <summary>The named model (llm.models) the rule picks.</summary>
    public string Model { get; set; } = "";
}

/// <summary>What a rule matches; every condition given must hold, at least one must be given.</summary>
public sealed class RouterCondition
{
    /// <summary>The calling agent (architect, builder, critic, integrator, chat, summarizer, ...).</summary>
    public string? Agent { get; set; }
    /// <summary>A workflow node's type (agent, tool, ...), when the call comes from a workflow node.</summary>
    public string? NodeType { get; set; }
    /// <summary>The task's complexity from the classifier: low (below 0.35), medium, high (0.65 and above).</summary>
    public TaskComplexity? Complexity { get; set; }
    /// <summary>Matches when fewer tokens than this are left of the run's budget.</summary>
    public long? BudgetBelowTokens { get; set; }
}

/// <summary>One row of the price table.</summary>
public sealed class ModelPrice
{
    public string Model { get; set; } = "";
    public decimal InputPerMillion { get; set; }
    public decimal OutputPerMillion { get; set; }
}

/// <summary>What agents may look at while they think: read-only tools through function calling, and the current text of planned files.</summary>
public sealed class AgentsOptions
{
    /// <summary>Offer the read-only tools (read_file, search_repo, retrieve_memory, changed_files) to the agents; false for a model that does not support tool calls.</summary>
    public bool Tools { get; set; } = true;
    /// <summary>Tool calls one agent call may make; further calls are refused and the model is told to answer.</summary>
    public int MaxToolCalls { get; set; } = 8;
    /// <summary>What one tool call returns to the model at most; longer results are cut with a "truncated" notice.</summary>
    public int MaxToolResultBytes { get; set; } = 16 * 1024;
    /// <summary>The current text of the files the Architect's plan names, put in the Builder's prompt: this many bytes in all.</summary>
    public int CurrentFileBytes { get; set; } = 64 * 1024;
}

public sealed class ToolsOptions
{
    /// <summary>The directory tools may work in (read, write, run commands); relative to the MiniMe home. Default "..": the directory holding .minime.</summary>
    public string Root { get; set; } = "..";
    /// <summary>A command still running after this is killed with its whole process tree.</summary>
    public int CommandTimeoutSeconds { get; set; } = 120;
    /// <summary>stdout and stderr are each kept up to this many bytes; the rest is counted and dropped.</summary>
    public int MaxOutputBytes { get; set; } = 1024 * 1024;
    /// <summary>
    /// How much of an executed command's stdout and stderr (each) the execution event of the run's trace
    /// keeps: the end of the stream, redacted like every trace string; 0 keeps none.
    /// </summary>
    public int TraceOutputBytes { get; set; } = 16 * 1024;
    /// <summary>Largest file read_file reads, write_file writes or apply_patch patches.</summary>
    public long MaxFileBytes { get; set; } = 4 * 1024 * 1024;
    /// <summary>auto (bubblewrap when it works here, else none), bwrap (required), or none.</summary>
    public SandboxMode Sandbox { get; set; } = SandboxMode.Auto;
    /// <summary>Commands get no network inside the sandbox unless this is true.</summary>
    public bool AllowNetwork { get; set; }
    /// <summary>
    /// Absolute directories outside the tools root that sandboxed commands may read (a toolchain or cache
    /// the sandbox does not show by default: only system directories, the allowed programs' own
    /// directories, DOTNET_ROOT and the NuGet package cache are visible).
    /// </summary>
    public List<string> SandboxReadOnly { get; set; } = [];
}
