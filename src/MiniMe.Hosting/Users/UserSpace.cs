using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using MiniMe.Agents;
using MiniMe.Configuration;
using MiniMe.Context;
using MiniMe.Evidence;
using MiniMe.Feedback;
using MiniMe.Hooks;
using MiniMe.Identity;
using MiniMe.Masks;
using MiniMe.Memory;
using MiniMe.Memory.Facts;
using MiniMe.Memory.Facts.Capture;
using MiniMe.Memory.Import;
using MiniMe.Memory.Retrieval;
using MiniMe.Memory.Vectors;
using MiniMe.Runs;
using MiniMe.Snapshots;
using MiniMe.Storage.Sqlite;
using MiniMe.Tools;
using MiniMe.Tools.External;
using MiniMe.Tools.Trust;
using MiniMe.Tracing;

namespace MiniMe.Hosting.Users;

/// <summary>
/// One user's engine, a DI scope of <see cref="UserSpaces"/>. The workspace owner (config user.name)
/// is the workspace itself, so the server sees what the CLI imported and ran; every other user has
/// users/{id}/ with their own memory, traces, identity.yaml, feedback.jsonl and uploads. Stores open
/// on first use and close with the scope.
/// </summary>
public sealed class UserSpace : IAsyncDisposable
{
    private readonly Workspace _workspace;
    private readonly MiniMeOptions _options;
    private readonly IServiceProvider _services;
    private readonly EmbeddingModel _embeddings;
    private readonly OpenedOnce<IMemoryStore> _store;
    private readonly OpenedOnce<IFactStore> _facts;
    private readonly EvidenceStoreOnce _evidence;
    private readonly EvidenceStoreOnce _factEvidence;
    private readonly ITraceLog _traceLog;
    private readonly CachedIdentity _identity;

    public UserSpace(UserScope scope, Workspace workspace, MiniMeOptions options, IMemoryStoreFactory stores, EmbeddingModel embeddings,
        IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(scope);
        _workspace = workspace;
        _options = options;
        _services = services;
        _embeddings = embeddings;
        UserId = scope.UserId;
        IsOwner = scope.IsOwner;
        Root = IsOwner ? workspace.Root : Path.Combine(workspace.Root, "users", UserId);
        IdentityPath = IsOwner ? workspace.IdentityPath : Path.Combine(Root, "identity.yaml");
        FeedbackPath = IsOwner ? workspace.FeedbackPath : Path.Combine(Root, "feedback.jsonl");
        UploadsDirectory = Path.Combine(Root, "uploads");
        _identity = new CachedIdentity(IdentityPath);
        DatabasePath = IsOwner ? workspace.ResolvePath(options.Memory.Path) : Path.Combine(Root, "memory.db");
        var location = new MemoryLocation(UserId, IsOwner, DatabasePath);
        _traceLog = stores.CreateTraceLog(location, IsOwner ? workspace.TracesDirectory : Path.Combine(Root, "traces"));
        // Every model call of a run is recorded beside its checkpoints (runs/RUN_ID/model-calls.jsonl) for `minime replay`.
        Traces = new TraceStore(_traceLog) { Recordings = new MiniMe.Replay.ModelCallRecordings(IsOwner ? workspace.RunsDirectory : Path.Combine(Root, "runs")) };
        _store = new OpenedOnce<IMemoryStore>(() =>
        {
            if (!IsOwner) Directory.CreateDirectory(Root);
            return stores.Create(location);
        }, (store, token) => store.InitializeAsync(token));
        _facts = new OpenedOnce<IFactStore>(() =>
        {
            if (!IsOwner) Directory.CreateDirectory(Root);
            return stores.CreateFacts(location);
        }, (store, token) => store.InitializeAsync(token));
        // Two views of the same edges: written beside the memory store's writes (runs) and beside the fact store's (facts),
        // each through that store's own SQLite database instance, so no command opens a second writer of the file.
        var sqlite = options.Memory.Store != MemoryStoreKind.Postgres;
        _evidence = new EvidenceStoreOnce(async token => stores.CreateEvidence(location, sqlite ? await _store.GetAsync(token).ConfigureAwait(false) : null));
        _factEvidence = new EvidenceStoreOnce(async token => stores.CreateEvidence(location, sqlite ? await _facts.GetAsync(token).ConfigureAwait(false) : null));
    }

    public string UserId { get; }
    public bool IsOwner { get; }
    public string Root { get; }
    public TraceStore Traces { get; }
    public string IdentityPath { get; }
    public string FeedbackPath { get; }
    public string UploadsDirectory { get; }

    /// <summary>This user's SQLite memory file (documents and facts), unused when memory.store is postgres.</summary>
    public string DatabasePath { get; }

    public FeedbackStore Feedback => new(FeedbackPath, Traces);

    public IEmbeddingGenerator<string, Embedding<float>>? Embeddings => _embeddings.Generator;

    public string? EmbeddingModel => _embeddings.ModelId;

    /// <summary>
    /// The user's identity. identity.yaml is parsed once and kept while the file stays as it was (its
    /// size and last write time, one stat per call), so an edit, by PUT /v1/profile or by hand, applies to
    /// the next run without every request re-reading and re-parsing the YAML.
    /// </summary>
    public IdentityDocument LoadIdentity() => _identity.Load();

    /// <summary>Drops the parsed identity, so the next <see cref="LoadIdentity"/> reads the file: for a writer in this process (PUT /v1/profile), whatever the file's stamp says.</summary>
    public void IdentityWritten() => _identity.Forget();

    /// <summary>The memory store memory.store names, created and migrated on first use.</summary>
    public Task<IMemoryStore> StoreAsync(CancellationToken cancellationToken) => _store.GetAsync(cancellationToken);

    /// <summary>
    /// This user's facts in the store memory.store names, one store for the life of the scope: on SQLite
    /// its first write checks the file for damage once, not once per request.
    /// </summary>
    public async Task<IFactStore> FactStoreAsync(CancellationToken cancellationToken) => await _facts.GetAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>Facts with duplicate/contradiction handling; uses the embedding model when one is configured; records their evidence.</summary>
    public async Task<FactService> FactServiceAsync(CancellationToken cancellationToken) =>
        new(await FactStoreAsync(cancellationToken).ConfigureAwait(false), _options.Facts, Embeddings, EmbeddingModel,
            evidence: Graph(_factEvidence));

    /// <summary>
    /// This user's evidence graph (docs/evidence.md) over the store memory.store names: what MiniMe knows linked to where
    /// it came from and what it was used for. Recording through it never fails the work it describes.
    /// </summary>
    public IEvidenceGraph Evidence() => Graph(_evidence);

    private EvidenceGraph Graph(EvidenceStoreOnce store) => new(new LazyEvidenceStore(store), UserId,
        _services.GetService<Microsoft.Extensions.Logging.ILoggerFactory>()?.CreateLogger("MiniMe.Evidence"),
        _services.GetRequiredService<TimeProvider>());

    /// <summary>
    /// Fact capture after this user's chat turns and runs (facts.capture), over the model pipeline (none when
    /// llm.provider is none: it then says so in the trace) and this user's fact service.
    /// </summary>
    public FactCapture FactCapture()
    {
        var team = _services.GetService<AgentTeamOptions>() ?? new AgentTeamOptions();
        return new FactCapture(_options.Facts, FactServiceAsync, Chat, Traces, team.MaxRepairAttempts, team.JsonResponseFormat);
    }

    /// <summary>Active facts relevant to a task, for the context of a run.</summary>
    public async Task<IFactRetriever> FactRetrieverAsync(CancellationToken cancellationToken) =>
        new FactRetriever(await FactStoreAsync(cancellationToken).ConfigureAwait(false), Embeddings, EmbeddingModel);

    public async Task<HybridRetriever> RetrieverAsync(CancellationToken cancellationToken) =>
        new(await StoreAsync(cancellationToken).ConfigureAwait(false), _options.Retrieval, Embeddings, EmbeddingModel);

    /// <summary>Imports text only: vectors are filled in afterwards (<see cref="VectorBackfillAsync"/>), so lexical search never waits for the model.</summary>
    public async Task<Importer> ImporterAsync(CancellationToken cancellationToken) =>
        new(await StoreAsync(cancellationToken).ConfigureAwait(false), _options.Import, _services.GetRequiredService<ITaskClassifier>());

    /// <summary>Fills in vectors for stored texts that lack one for the configured model; null when embeddings.model is none.</summary>
    public async Task<VectorBackfill?> VectorBackfillAsync(CancellationToken cancellationToken) =>
        Embeddings is { } generator && EmbeddingModel is { } model
            ? new VectorBackfill(await StoreAsync(cancellationToken).ConfigureAwait(false), generator, model)
            : null;

    /// <summary>What embeddings.model names, in words, without loading it.</summary>
    public string EmbeddingDescription => _embeddings.Description;

    public SnapshotService Snapshots() => new(_workspace, new SqliteDatabaseSnapshotter(DatabasePath));

    /// <summary>The stages every run shares (classify, masks, memory and facts, identity, context) over this user's data.</summary>
    public async Task<RunPreparation> RunPreparationAsync(CancellationToken cancellationToken) =>
        RunPreparation(Traces, await RetrieverAsync(cancellationToken).ConfigureAwait(false), await FactRetrieverAsync(cancellationToken).ConfigureAwait(false));

    private RunPreparation RunPreparation(TraceStore traces, HybridRetriever retriever, IFactRetriever facts) => new(
        _services.GetRequiredService<ITaskClassifier>(),
        _services.GetRequiredService<IMaskPolicy>(),
        retriever,
        _services.GetRequiredService<IContextBroker>(),
        LoadIdentity(),
        traces,
        facts,
        [.. _services.GetServices<IContextSource>()],
        UserId,
        Evidence());

    /// <summary>The model pipeline, or null when llm.provider is none.</summary>
    public IChatClient? Chat => _services.GetService<IChatClient>();

    /// <summary>
    /// `minime ask` over this user's memory, facts, identity and traces. With <paramref name="withTeam"/>
    /// the agent team works from the context over the model pipeline; without it (or without a model)
    /// a run stops after the context. The team's agents may call the workspace's read-only tools
    /// (<see cref="AgentToolsAsync"/>, agents.* in config.yaml) while they think.
    /// </summary>
    public async Task<AskPipeline> AskPipelineAsync(CancellationToken cancellationToken, bool withTeam = false)
    {
        var hooks = Hooks();
        var team = withTeam && Chat is { } chat
            ? new AgentTeam(chat, _services.GetRequiredService<AgentTeamOptions>(), Traces, await AgentToolsAsync(cancellationToken).ConfigureAwait(false), Checkpoints, hooks)
            : null;
        return new AskPipeline(await RunPreparationAsync(cancellationToken).ConfigureAwait(false), Traces, _options.Context.BudgetTokens,
            _services.GetRequiredService<TimeProvider>(), team, hooks, FactCapture());
    }

    /// <summary>
    /// Workflow runs over this user's memory, identity and traces, checkpointed in the workspace's runs/ folder
    /// (users/{id}/runs for other users); null when no model is configured.
    /// </summary>
    public async Task<WorkflowRunner?> WorkflowRunnerAsync(CancellationToken cancellationToken)
    {
        if (Chat is not { } chat) return null;
        return new WorkflowRunner(await RunPreparationAsync(cancellationToken).ConfigureAwait(false), Traces, Checkpoints, chat,
            _services.GetRequiredService<AgentTeamOptions>(), _options.Context.BudgetTokens, _services.GetRequiredService<TimeProvider>(), Hooks(), await AgentToolsAsync(cancellationToken).ConfigureAwait(false), ManifestHooks, FactCapture());
    }

    /// <summary>
    /// The program hooks a manifest declares, run like config.yaml's. Only a manifest of the workspace's
    /// workflows/ folder may bring hooks, and only the hooks `minime trust` saw there (they are in the
    /// workspace's fingerprint, so a changed hook asks for trust again before anything runs).
    /// </summary>
    private IReadOnlyList<IRunHook> ManifestHooks(MiniMe.Workflows.WorkflowDefinition workflow)
    {
        var folder = Path.GetFullPath(_workspace.WorkflowsDirectory) + Path.DirectorySeparatorChar;
        var path = Path.GetFullPath(workflow.Source);
        var relative = path.StartsWith(folder, StringComparison.Ordinal) ? Path.GetRelativePath(folder, path).Replace('\\', '/') : null;
        if (relative is null || !MiniMe.Tools.Trust.WorkspaceFingerprint.WorkflowHooks(_workspace).TryGetValue(relative, out var seen) ||
            !System.Text.Json.Nodes.JsonNode.DeepEquals(System.Text.Json.JsonSerializer.SerializeToNode(seen), System.Text.Json.JsonSerializer.SerializeToNode(workflow.Hooks)))
            throw new InvalidInputException($"{workflow.Source}: a manifest's hooks run only from the workspace's workflows/ folder, which `minime trust` covers; copy the manifest there, or move its hooks to config.yaml.");
        return CreateTools().ProgramHooks(workflow.Hooks);
    }

    /// <summary>
    /// The pipelines of `minime replay` (docs/replay.md), as <see cref="AskPipelineAsync"/> and <see cref="WorkflowRunnerAsync"/> build
    /// them over this user's memory, facts and identity, but tracing into <paramref name="traces"/> (the replay's folder), checkpointing
    /// into <paramref name="checkpoints"/>, with no hooks (they run programs), and the agents' read-only tools auditing into the replay's
    /// traces. Retrieval reads memory through <see cref="MiniMe.Replay.ReplayMemoryStore"/> (the run's own reuse counts taken out,
    /// nothing written) at the recorded moment (<paramref name="time"/>). The model pipeline is the registered one (the replay's
    /// recorded answers); null when there is none.
    /// </summary>
    public async Task<(AskPipeline Ask, WorkflowRunner Workflow)?> ReplayPipelinesAsync(TraceStore traces, MiniMe.Workflows.WorkflowCheckpoints checkpoints,
        TimeProvider time, IReadOnlySet<long> usedByRun, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(traces);
        ArgumentNullException.ThrowIfNull(checkpoints);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(usedByRun);
        if (Chat is not { } chat) return null;
        var options = _services.GetRequiredService<AgentTeamOptions>();
        var memory = new MiniMe.Replay.ReplayMemoryStore(await StoreAsync(cancellationToken).ConfigureAwait(false), usedByRun);
        var retriever = new HybridRetriever(memory, _options.Retrieval, Embeddings, EmbeddingModel, time);
        var facts = await FactRetrieverAsync(cancellationToken).ConfigureAwait(false);
        var tools = new AgentTools(ToolHost.Create(_workspace, _options, RetrieverAsync, traces, _services.GetRequiredService<TrustStore>(),
            new MemoryReindexer(ImporterAsync), new FeedbackStore(FeedbackPath, traces), []), StoreAsync);
        var team = new AgentTeam(chat, options, traces, tools);
        var ask = new AskPipeline(RunPreparation(traces, retriever, facts), traces, _options.Context.BudgetTokens, time, team, HookDispatcher.None);
        var workflow = new WorkflowRunner(RunPreparation(traces, retriever, facts), traces, checkpoints, chat, options,
            _options.Context.BudgetTokens, time, HookDispatcher.None, tools);
        return (ask, workflow);
    }

    /// <summary>This user's workflow checkpoints.</summary>
    public MiniMe.Workflows.WorkflowCheckpoints Checkpoints => new(IsOwner ? _workspace.RunsDirectory : Path.Combine(Root, "runs"));

    /// <summary>
    /// The workspace's tools (allowlist and tools.* read now, so an edit applies to the next decision;
    /// sandbox probed once per process; trust checked), auditing into this user's traces and feedback.jsonl.
    /// Files an approved action writes or deletes are re-indexed in this user's memory (<see cref="MemoryReindexer"/>).
    /// </summary>
    public ToolHost CreateTools() =>
        ToolHost.Create(_workspace, _options, RetrieverAsync, Traces, _services.GetRequiredService<TrustStore>(), new MemoryReindexer(ImporterAsync), Feedback,
            _services.GetServices<IRunHook>(), _services.GetService<IExternalToolSource>());

    /// <summary>
    /// The hooks of this user's runs (docs/hooks.md): the in-process <see cref="IRunHook"/> registrations, then
    /// config.yaml's program hooks (which run like tools, so the tools are set up for them when there are any).
    /// </summary>
    public HookDispatcher Hooks() =>
        _options.Hooks.Count == 0 ? new HookDispatcher(_services.GetServices<IRunHook>(), Traces) : CreateTools().Hooks;

    /// <summary>
    /// The read-only tools the agents may call (offered unless agents.tools is false) and read the current files and check
    /// patches with; with mcp.servers, their tools too (the servers reached now, in a trusted workspace only: those
    /// that cannot be reached are warnings of the run).
    /// </summary>
    public async Task<IAgentToolbox> AgentToolsAsync(CancellationToken cancellationToken)
    {
        var host = CreateTools();
        var external = _services.GetService<IExternalToolSource>();
        if (external is not { Configured: true } || !_options.Agents.Tools || _options.Agents.MaxToolCalls == 0)
            return new AgentTools(host, StoreAsync);
        var listed = await external.ListAsync(host.Runner.Trust, cancellationToken).ConfigureAwait(false);
        return new AgentTools(host, StoreAsync, listed, external);
    }

    public async ValueTask DisposeAsync()
    {
        // The evidence stores first: on SQLite they write through the other two's database instances.
        await _evidence.DisposeAsync().ConfigureAwait(false);
        await _factEvidence.DisposeAsync().ConfigureAwait(false);
        await _store.DisposeAsync().ConfigureAwait(false);
        await _facts.DisposeAsync().ConfigureAwait(false);
        if (_traceLog is IAsyncDisposable log) await log.DisposeAsync().ConfigureAwait(false);
    }
}
