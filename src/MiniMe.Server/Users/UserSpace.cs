using MiniMe.Agents;
using MiniMe.Feedback;
using MiniMe.Identity;
using MiniMe.Memory;
using MiniMe.Memory.Import;
using MiniMe.Memory.Retrieval;
using MiniMe.Runs;
using MiniMe.Storage.Sqlite;
using MiniMe.Tracing;

namespace MiniMe.Server.Users;

/// <summary>
/// One user's data on disk. The workspace owner (config user.name) is the workspace itself, so the
/// server sees what the CLI imported and ran. Every other user has users/{id}/ with their own
/// memory.db, traces, identity.yaml, feedback.jsonl and uploads: nothing is shared between users.
/// </summary>
public sealed class UserSpace : IAsyncDisposable
{
    private readonly ServerEngine _engine;
    private readonly SqliteMemoryStore _store;
    private readonly SemaphoreSlim _init = new(1, 1);
    private volatile bool _initialized;

    internal UserSpace(ServerEngine engine, string userId, bool isOwner)
    {
        _engine = engine;
        UserId = userId;
        IsOwner = isOwner;
        var workspace = engine.Workspace;
        Root = isOwner ? workspace.Root : Path.Combine(workspace.Root, "users", userId);
        Traces = new TraceStore(isOwner ? workspace.TracesDirectory : Path.Combine(Root, "traces"));
        IdentityPath = isOwner ? workspace.IdentityPath : Path.Combine(Root, "identity.yaml");
        FeedbackPath = isOwner ? workspace.FeedbackPath : Path.Combine(Root, "feedback.jsonl");
        UploadsDirectory = Path.Combine(Root, "uploads");
        DatabasePath = isOwner ? workspace.ResolvePath(engine.Options.Memory.Path) : Path.Combine(Root, "memory.db");
        _store = new SqliteMemoryStore(DatabasePath);
        FactStore = new SqliteFactStore(DatabasePath);
    }

    public string UserId { get; }

    /// <summary>
    /// This user's facts, one store for the life of the server: its first write checks the file for
    /// damage once (SqliteDatabase), not once per request. Usable after <see cref="StoreAsync"/> migrated the file.
    /// </summary>
    internal SqliteFactStore FactStore { get; }

    /// <summary>This user's SQLite memory (documents, chunks, vectors, facts).</summary>
    public string DatabasePath { get; }
    public bool IsOwner { get; }
    public string Root { get; }
    public TraceStore Traces { get; }
    public string IdentityPath { get; }
    public string FeedbackPath { get; }
    public string UploadsDirectory { get; }

    public FeedbackStore Feedback => new(FeedbackPath, Traces);

    /// <summary>The user's identity, read fresh so an edit through the API applies to the next request.</summary>
    public IdentityDocument LoadIdentity() => IdentityLoader.Load(IdentityPath);

    public async Task<IMemoryStore> StoreAsync(CancellationToken cancellationToken)
    {
        if (_initialized) return _store;
        await _init.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_initialized)
            {
                await _store.InitializeAsync(cancellationToken).ConfigureAwait(false);
                _initialized = true;
            }
            return _store;
        }
        finally
        {
            _init.Release();
        }
    }

    public async Task<HybridRetriever> RetrieverAsync(CancellationToken cancellationToken) =>
        new(await StoreAsync(cancellationToken).ConfigureAwait(false), _engine.Options.Retrieval, _engine.Embeddings, _engine.EmbeddingModel);

    public async Task<Importer> ImporterAsync(CancellationToken cancellationToken) =>
        new(await StoreAsync(cancellationToken).ConfigureAwait(false), _engine.Options.Import, _engine.Classifier, _engine.Embeddings, _engine.EmbeddingModel);

    /// <summary>`minime ask` over this user's memory, identity and traces; without a team it stops after the context.</summary>
    public async Task<AskPipeline> AskPipelineAsync(CancellationToken cancellationToken, AgentTeam? team = null) => new(
        _engine.Classifier,
        _engine.MaskPolicy,
        await RetrieverAsync(cancellationToken).ConfigureAwait(false),
        _engine.Broker,
        LoadIdentity(),
        Traces,
        _engine.Options.Context.BudgetTokens,
        team: team);

    public async ValueTask DisposeAsync()
    {
        await _store.DisposeAsync().ConfigureAwait(false);
        await FactStore.DisposeAsync().ConfigureAwait(false);
        _init.Dispose();
    }
}
