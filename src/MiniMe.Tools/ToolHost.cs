using MiniMe.Configuration;
using MiniMe.Feedback;
using MiniMe.Hooks;
using MiniMe.Memory.Retrieval;
using MiniMe.Tools.Allowlist;
using MiniMe.Tools.Approval;
using MiniMe.Tools.BuiltIn;
using MiniMe.Tools.Paths;
using MiniMe.Tools.Commands;
using MiniMe.Tools.Hooks;
using MiniMe.Tools.Processes;
using MiniMe.Tools.Trust;
using MiniMe.Tracing;

namespace MiniMe.Tools;

/// <summary>
/// The tools of one workspace, composed from config.yaml (tools.*) and allowlist.yaml: the root and
/// its confinement, the command policy, the sandbox (probed once), the six built-in tools, and the
/// runner that audits into the workspace's traces and feedback.
/// </summary>
public sealed class ToolHost
{
    private readonly Func<IEnumerable<HookOptions>, IEnumerable<IRunHook>> _programHooks;

    private ToolHost(ToolContext context, ToolRegistry registry, ToolRunner runner, HookDispatcher hooks, Func<IEnumerable<HookOptions>, IEnumerable<IRunHook>> programHooks)
    {
        Context = context;
        Registry = registry;
        Runner = runner;
        Hooks = hooks;
        _programHooks = programHooks;
    }

    /// <summary>The hooks of this workspace: the in-process ones, then config.yaml's program hooks, tracing into the runner's traces.</summary>
    public HookDispatcher Hooks { get; }

    /// <summary>Program hooks (a workflow manifest's) run the way config.yaml's are: argv, sandbox, timeout.</summary>
    public IReadOnlyList<IRunHook> ProgramHooks(IEnumerable<HookOptions> definitions)
    {
        ArgumentNullException.ThrowIfNull(definitions);
        return [.. _programHooks(definitions)];
    }

    /// <summary><see cref="Hooks"/> followed by more program hooks (a workflow manifest's), run the same way.</summary>
    public HookDispatcher HooksWith(IEnumerable<HookOptions> more)
    {
        ArgumentNullException.ThrowIfNull(more);
        return Hooks.With(_programHooks(more));
    }

    public ToolContext Context { get; }
    public ToolRegistry Registry { get; }
    public ToolRunner Runner { get; }
    public ISandbox Sandbox => Context.Runner.Sandbox;
    public string Root => Context.Paths.Root;

    /// <param name="workspace">The MiniMe home: allowlist.yaml, traces, feedback; never readable or writable by tools.</param>
    /// <param name="options">tools.* settings and import.ignoreDirectories.</param>
    /// <param name="retriever">Opens memory retrieval on first use (retrieve_memory); null when there is no store.</param>
    /// <param name="traces">Where approval and execution events go (default: the workspace's traces).</param>
    /// <param name="trust">The trust file that says whether this workspace may run tools (default: the user's, <see cref="TrustStore.ForUser"/>).</param>
    /// <param name="changes">Told which files an approved action changed (memory re-indexes them); null: nobody.</param>
    /// <param name="feedback">Where a person's rejections and edits go as correction pairs (default: the workspace's feedback.jsonl).</param>
    /// <param name="hooks">In-process hooks (IRunHook registrations), told about events before config.yaml's program hooks.</param>
    /// <param name="external">Tools of other programs (config.yaml mcp.servers), found by name when a proposal names one; null: none.</param>
    public static ToolHost Create(Workspace workspace, MiniMeOptions options, Func<CancellationToken, Task<HybridRetriever>>? retriever, TraceStore? traces = null, TrustStore? trust = null,
        IWorkspaceChangeObserver? changes = null, FeedbackStore? feedback = null, IEnumerable<IRunHook>? hooks = null, External.IExternalToolSource? external = null)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        ArgumentNullException.ThrowIfNull(options);
        var settings = options.Tools;
        var allowlist = AllowlistLoader.Load(workspace.AllowlistPath);
        var paths = new PathConfiner(workspace.ResolvePath(settings.Root), allowlist, [workspace.Root]);
        var programs = new ProgramResolver(Environment.GetEnvironmentVariable("PATH"), paths.Root);
        var sandbox = SandboxFactory.Create(settings, programs, paths, allowlist, options.Import.IgnoreDirectories.Where(d => d != ".git").ToList());
        var runner = new ProcessRunner(sandbox, programs.Resolve("setsid"));
        var environment = EnvironmentScrubber.Build(programs.PathVariable, allowlist.Environment);
        var context = new ToolContext(paths, new CommandPolicy(allowlist, paths, programs), runner, environment, settings, options.Import.IgnoreDirectories, retriever, Path.Join(workspace.Root, "quarantine"));
        TrustStatus? trusted = null;
        async Task<ITool?> Resolve(string name, CancellationToken cancellationToken)
        {
            if (external is not { Configured: true } || trusted is null) return null;
            var listed = await external.ListAsync(trusted, cancellationToken).ConfigureAwait(false);
            return listed.Tools.FirstOrDefault(t => t.Name == name) is { } found ? new External.ExternalActionTool(found, external) : null;
        }
        var registry = new ToolRegistry(
        [
            new ReadFileTool(context),
            new WriteFileTool(context),
            new ApplyPatchTool(context),
            new RunCommandTool(context),
            new SearchRepoTool(context),
            new RetrieveMemoryTool(context),
        ], Resolve);
        traces ??= new TraceStore(workspace.TracesDirectory);
        trusted = WorkspaceTrust.Check(trust ?? TrustStore.ForUser(), WorkspaceFingerprint.Of(workspace, allowlist, paths.Root, options), allowlist);
        IEnumerable<IRunHook> ProgramHooks(IEnumerable<HookOptions> definitions) =>
            [.. definitions.Select(d => new ProgramHook(d, runner, programs, environment, paths.Root, trusted.Refusal))];
        var dispatcher = new HookDispatcher([.. hooks ?? [], .. ProgramHooks(options.Hooks)], traces);
        var toolRunner = new ToolRunner(registry, traces, feedback ?? new FeedbackStore(workspace.FeedbackPath, traces), trusted, paths.Root, changes, settings.TraceOutputBytes, dispatcher);
        return new ToolHost(context, registry, toolRunner, dispatcher, ProgramHooks);
    }

    /// <summary>A processor for a run's proposals with the given gate (the console, or a rule) and presenter.</summary>
    public ProposalProcessor CreateProcessor(IApprovalGate gate, IActionPresenter presenter) => new(Runner, gate, presenter);
}
