using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using MiniMe.Configuration;
using MiniMe.Hosting;
using MiniMe.Hosting.Users;
using MiniMe.Memory;
using MiniMe.Memory.Facts;
using MiniMe.Memory.Import;
using MiniMe.Memory.Retrieval;
using MiniMe.Runs;
using MiniMe.Server;
using MiniMe.Snapshots;
using MiniMe.Tools;
using MiniMe.Tools.Trust;
using MiniMe.Tracing;

namespace MiniMe.Cli.Hosting;

/// <summary>
/// One CLI invocation's view of the engine: the composition root (<see cref="MiniMeServiceCollectionExtensions.AddMiniMe"/>)
/// built over the workspace, and the owner's <see cref="UserSpace"/>. Nothing is created until a command
/// asks for it, so `minime runs` never opens the database or loads a model.
/// </summary>
internal sealed class Engine : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    /// <param name="allowEmptyMemory">--force: start an empty memory in a 0-byte memory.db instead of refusing it.</param>
    /// <param name="trust">The trust file (the CLI context's); default the user's.</param>
    /// <param name="extend">Adds a face's own services over the same composition root (`minime mcp`: the MCP server).</param>
    public Engine(Workspace workspace, MiniMeOptions options, bool allowEmptyMemory = false, TrustStore? trust = null, Action<IServiceCollection>? extend = null)
    {
        Workspace = workspace;
        Options = options;
        var services = new ServiceCollection();
        var engine = services.AddMiniMe(workspace, options).AllowEmptyMemory(allowEmptyMemory).AddPersonalLayer();
        if (trust is not null) engine.UseTrust(trust);
        extend?.Invoke(services);
        _services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true });
        Owner = _services.GetRequiredService<UserSpaces>().Owner;
    }

    public Workspace Workspace { get; }
    public MiniMeOptions Options { get; }

    /// <summary>The workspace owner's stores, traces, pipelines and tools: what every command works on.</summary>
    public UserSpace Owner { get; }

    public TraceStore Traces => Owner.Traces;

    /// <summary>
    /// The owner's run traces alone, for `runs` and `trace`: the workspace must be initialized and its
    /// config.yaml is checked as for every command, but no engine (DI container, stores, models) is built.
    /// The trace log is the one the engine's owner space would use (memory.traces: files or postgres).
    /// </summary>
    public static OwnerTraces OpenTraces(string? home)
    {
        var workspace = Workspace.Resolve(home);
        workspace.EnsureInitialized();
        var options = LoadOptions(workspace);
        var location = new MemoryLocation(options.User.Name, IsOwner: true, workspace.ResolvePath(options.Memory.Path));
        return new OwnerTraces(new MemoryStoreFactory(options, new EngineSettings()).CreateTraceLog(location, workspace.TracesDirectory));
    }

    public static Engine Open(string? home, bool allowEmptyMemory = false, TrustStore? trust = null, Action<IServiceCollection>? extend = null)
    {
        var workspace = Workspace.Resolve(home);
        workspace.EnsureInitialized();
        return new Engine(workspace, LoadOptions(workspace), allowEmptyMemory, trust, extend);
    }

    /// <summary>Every section config.yaml may hold: <see cref="MiniMeOptions"/> plus server (read by `minime serve`).</summary>
    public static SettingKeys SettingKeys => ServerOptions.SettingKeys;

    /// <summary>config.yaml and MINIME_ variables, unknown keys refused against <see cref="SettingKeys"/>.</summary>
    public static MiniMeOptions LoadOptions(Workspace workspace) => ConfigurationLoader.Load(workspace, keys: SettingKeys);

    public Task<IMemoryStore> StoreAsync(CancellationToken cancellationToken) => Owner.StoreAsync(cancellationToken);

    /// <summary>The SQLite memory database (memory.path, relative to the workspace).</summary>
    public string DatabasePath => Owner.DatabasePath;

    public Task<FactService> FactServiceAsync(CancellationToken cancellationToken) => Owner.FactServiceAsync(cancellationToken);

    public SnapshotService Snapshots() => Owner.Snapshots();

    public IEmbeddingGenerator<string, Embedding<float>>? Embeddings => Owner.Embeddings;

    public string? EmbeddingModel => Owner.EmbeddingModel;

    public Task<Importer> ImporterAsync(CancellationToken cancellationToken) => Owner.ImporterAsync(cancellationToken);

    public Task<MiniMe.Memory.Vectors.VectorBackfill?> VectorBackfillAsync(CancellationToken cancellationToken) => Owner.VectorBackfillAsync(cancellationToken);

    public Task<HybridRetriever> RetrieverAsync(CancellationToken cancellationToken) => Owner.RetrieverAsync(cancellationToken);

    /// <param name="withTeam">Wire the agent team over the model pipeline; without it a non-dry run stops after the context.</param>
    public Task<AskPipeline> AskPipelineAsync(CancellationToken cancellationToken, bool withTeam = false) =>
        Owner.AskPipelineAsync(cancellationToken, withTeam);

    /// <summary>The workspace's tools, auditing into the owner's traces.</summary>
    public ToolHost CreateTools() => Owner.CreateTools();

    /// <summary>
    /// A service of the one composition root (the personal layer's ChatService, ConversationStore, ...),
    /// the same registrations `minime serve` resolves; created on first use.
    /// </summary>
    public T Service<T>() where T : notnull => _services.GetRequiredService<T>();

    public ValueTask DisposeAsync() => _services.DisposeAsync();
}

/// <summary>The workspace owner's <see cref="TraceStore"/> without the engine (<see cref="Engine.OpenTraces"/>); disposing closes its log.</summary>
internal sealed class OwnerTraces(ITraceLog log) : IAsyncDisposable
{
    public TraceStore Traces { get; } = new(log);

    public ValueTask DisposeAsync() => log is IAsyncDisposable disposable ? disposable.DisposeAsync() : ValueTask.CompletedTask;
}
