using Microsoft.Extensions.AI;
using MiniMe.Agents;
using MiniMe.Configuration;
using MiniMe.Context;
using MiniMe.Embeddings;
using MiniMe.Identity;
using MiniMe.Masks;
using MiniMe.Memory;
using MiniMe.Memory.Facts;
using MiniMe.Memory.Import;
using MiniMe.Memory.Retrieval;
using MiniMe.Providers;
using MiniMe.Runs;
using MiniMe.Server;
using MiniMe.Snapshots;
using MiniMe.Storage.Sqlite;
using MiniMe.Tracing;

namespace MiniMe.Cli.Hosting;

/// <summary>
/// The composition root for one CLI invocation: resolves the workspace, loads configuration, and
/// builds the engine's parts on demand (so `minime runs` never opens the database or loads a model).
/// </summary>
public sealed class Engine : IAsyncDisposable
{
    private readonly Lazy<IMemoryStore> _store;
    private readonly Lazy<IEmbeddingGenerator<string, Embedding<float>>?> _embeddings;
    private readonly Lazy<SqliteFactStore> _facts;
    private bool _storeInitialized;
    private ProviderConnection? _provider;
    private bool _factsInitialized;

    /// <param name="allowEmptyMemory">--force: start an empty memory in a 0-byte memory.db instead of refusing it.</param>
    public Engine(Workspace workspace, MiniMeOptions options, bool allowEmptyMemory = false)
    {
        Workspace = workspace;
        Options = options;
        _store = new Lazy<IMemoryStore>(() => MemoryStoreFactory.Create(workspace, options.Memory, options.Vectors, allowEmptyMemory));
        _embeddings = new Lazy<IEmbeddingGenerator<string, Embedding<float>>?>(CreateEmbeddings);
        _facts = new Lazy<SqliteFactStore>(() => new SqliteFactStore(DatabasePath, allowEmptyMemory));
        Traces = new TraceStore(workspace.TracesDirectory);
    }

    public Workspace Workspace { get; }
    public MiniMeOptions Options { get; }
    public TraceStore Traces { get; }

    public static Engine Open(string? home, bool allowEmptyMemory = false)
    {
        var workspace = Workspace.Resolve(home);
        workspace.EnsureInitialized();
        return new Engine(workspace, LoadOptions(workspace), allowEmptyMemory);
    }

    /// <summary>Every section config.yaml may hold in the CLI: <see cref="MiniMeOptions"/> plus server (read by `minime serve`).</summary>
    public static SettingKeys SettingKeys { get; } = ConfigurationLoader.Keys.WithSection<ServerOptions>(ServerOptions.Section);

    /// <summary>config.yaml and MINIME_ variables, unknown keys refused against <see cref="SettingKeys"/>.</summary>
    public static MiniMeOptions LoadOptions(Workspace workspace) => ConfigurationLoader.Load(workspace, keys: SettingKeys);

    public async Task<IMemoryStore> StoreAsync(CancellationToken cancellationToken)
    {
        var store = _store.Value;
        if (!_storeInitialized)
        {
            await store.InitializeAsync(cancellationToken).ConfigureAwait(false);
            _storeInitialized = true;
        }
        return store;
    }

    /// <summary>The SQLite memory database (memory.path, relative to the workspace).</summary>
    public string DatabasePath => Workspace.ResolvePath(Options.Memory.Path);

    public async Task<IFactStore> FactStoreAsync(CancellationToken cancellationToken)
    {
        var store = _facts.Value;
        if (!_factsInitialized)
        {
            await store.InitializeAsync(cancellationToken).ConfigureAwait(false);
            _factsInitialized = true;
        }
        return store;
    }

    /// <summary>Facts with duplicate/contradiction handling; uses the embedding model when one is configured.</summary>
    public async Task<FactService> FactServiceAsync(CancellationToken cancellationToken) =>
        new(await FactStoreAsync(cancellationToken).ConfigureAwait(false), Options.Facts, Embeddings, EmbeddingModel);

    /// <summary>Active facts relevant to a task, for the context of a run.</summary>
    public async Task<IFactRetriever> FactRetrieverAsync(CancellationToken cancellationToken) =>
        new FactRetriever(await FactStoreAsync(cancellationToken).ConfigureAwait(false), Embeddings, EmbeddingModel);

    public SnapshotService Snapshots() => new(Workspace, new SqliteDatabaseSnapshotter(DatabasePath));

    public IEmbeddingGenerator<string, Embedding<float>>? Embeddings => _embeddings.Value;

    public string? EmbeddingModel => Embeddings?.GetService<EmbeddingGeneratorMetadata>()?.DefaultModelId;

    public async Task<Importer> ImporterAsync(CancellationToken cancellationToken) =>
        new(await StoreAsync(cancellationToken).ConfigureAwait(false), Options.Import, new KeywordTaskClassifier(), Embeddings, EmbeddingModel);

    public async Task<HybridRetriever> RetrieverAsync(CancellationToken cancellationToken) =>
        new(await StoreAsync(cancellationToken).ConfigureAwait(false), Options.Retrieval, Embeddings, EmbeddingModel);

    /// <summary>The configured LLM provider (llm.provider), created on first use; a ConfigException names what is missing.</summary>
    public ProviderConnection Provider => _provider ??= ChatClientFactory.Create(Options.Llm);

    /// <param name="withTeam">Wire the agent team over <see cref="Provider"/>; without it a non-dry run stops after the context.</param>
    public async Task<AskPipeline> AskPipelineAsync(CancellationToken cancellationToken, bool withTeam = false)
    {
        var tokenCounter = new TiktokenTokenCounter();
        var team = withTeam ? new AgentTeam(Provider.Chat, AgentTeamOptions.From(Options.Llm), Traces, tokenCounter) : null;
        return new AskPipeline(
            new KeywordTaskClassifier(),
            new HeuristicMaskPolicy(),
            await RetrieverAsync(cancellationToken).ConfigureAwait(false),
            new ContextBroker(tokenCounter),
            IdentityLoader.Load(Workspace.IdentityPath),
            Traces,
            Options.Context.BudgetTokens,
            team: team,
            facts: await FactRetrieverAsync(cancellationToken).ConfigureAwait(false));
    }


    private IEmbeddingGenerator<string, Embedding<float>>? CreateEmbeddings()
    {
        var settings = Options.Embeddings;
        if (settings.Provider != EmbeddingProvider.Onnx) return null;
        if (string.IsNullOrWhiteSpace(settings.ModelPath) || string.IsNullOrWhiteSpace(settings.VocabPath))
            throw new ConfigException($"{Workspace.ConfigPath}: embeddings.provider is onnx but embeddings.modelPath or embeddings.vocabPath is not set.");
        return new OnnxEmbeddingGenerator(new OnnxEmbeddingOptions
        {
            ModelPath = Workspace.ResolvePath(settings.ModelPath),
            VocabPath = Workspace.ResolvePath(settings.VocabPath),
            MaxTokens = settings.MaxTokens,
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (_store.IsValueCreated) await _store.Value.DisposeAsync().ConfigureAwait(false);
        if (_facts.IsValueCreated) await _facts.Value.DisposeAsync().ConfigureAwait(false);
        if (_embeddings.IsValueCreated) _embeddings.Value?.Dispose();
        _provider?.Dispose();
    }
}
