using System.Runtime.ExceptionServices;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using MiniMe.Actions;
using MiniMe.Hooks;
using MiniMe.ModelCalls;
using MiniMe.Tracing;
using MiniMe.Workflows;

namespace MiniMe.Agents;

/// <summary>
/// The default team (SPEC 3.5) as the builtin:team workflow (src/MiniMe.Core/Workflows/Builtin/team.workflow.yaml):
/// Architect, then Builder and Critic for at most min(masks.MaxIterations, llm.maxIterations) rounds (the
/// loop's <c>max_iterations: auto</c>; the Builder revises while the review finds blocking violations:
/// the static constraint rules' or the model's), then Integrator, whose proposals are re-checked against
/// the reviewed build (<see cref="ProposalRecheck"/>). What each agent node does (routing out below
/// llm.skipAgentsBelow, current files, stale patches, reviews) lives in the workflow engine's agent nodes,
/// written once for this team and every manifest. With checkpoints the run is saved after every node, so
/// `minime runs resume` continues a killed `ask` without calling completed agents again.
/// </summary>
public sealed class AgentTeam
{
    public const string WorkflowSource = WorkflowCatalog.BuiltinPrefix + "team";

    private static readonly Lazy<(WorkflowDefinition Workflow, string Manifest)> s_workflow = new(() =>
    {
        var text = WorkflowCatalog.BuiltinText("team");
        return (WorkflowParser.Load(text, WorkflowSource), text);
    });

    private readonly IChatClient _chat;
    private readonly TraceStore _traces;
    private readonly WorkflowCheckpoints? _checkpoints;
    private readonly HookDispatcher? _hooks;

    /// <param name="chat">A client built with the model pipeline (<see cref="MiniMe.ModelCalls.ModelPipeline.Build"/>): it budgets, prices and traces each call.</param>
    /// <param name="tools">The workspace's read-only tools (null: the agents see the repository only through the context).</param>
    /// <param name="checkpoints">Where the run's workflow state is saved after every node (null: not resumable).</param>
    /// <param name="hooks">before_node/after_node hooks of the team's nodes (docs/hooks.md).</param>
    public AgentTeam(IChatClient chat, AgentTeamOptions options, TraceStore traces, IAgentToolbox? tools = null,
        WorkflowCheckpoints? checkpoints = null, HookDispatcher? hooks = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(traces);
        _chat = ModelPipeline.Require(chat, nameof(AgentTeam));
        Options = options;
        Tools = tools;
        _traces = traces;
        _checkpoints = checkpoints;
        _hooks = hooks;
    }

    public AgentTeamOptions Options { get; }

    public IAgentToolbox? Tools { get; }

    /// <summary>
    /// Runs the team. Its trace events are appended without waiting for the disk (group commit); they are
    /// all durable before the proposals are handed to the observer (an approval prompt may follow), before
    /// the result is returned, and before an exception leaves. A failed agent leaves with its own exception
    /// (model unavailable, budget exceeded, invalid output), not the workflow's.
    /// </summary>
    public async Task<TeamResult> RunAsync(TeamRequest request, TeamObserver? observer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (workflow, manifest) = s_workflow.Value;
        var state = WorkflowExecutor.NewState(request.RunId, workflow, manifest, request, [], request.Meter.BudgetTokens);
        _checkpoints?.Save(state);
        if (Tools is IAgentToolboxWarnings { Warnings.Count: > 0 } unavailable)
            foreach (var warning in unavailable.Warnings)
                _traces.AppendBatched(request.RunId, TraceEventTypes.AgentToolCall, new JsonObject
                {
                    ["agent"] = "team", ["tool"] = "*", ["arguments"] = new JsonObject(), ["bytes"] = 0, ["ms"] = 0, ["error"] = warning,
                });
        _traces.AppendBatched(request.RunId, TraceEventTypes.WorkflowStart, new JsonObject { ["workflow"] = workflow.Name, ["source"] = workflow.Source, ["resumed"] = false });
        var executor = new WorkflowExecutor(_chat, Options, _traces, _checkpoints, actions: null, _hooks, Tools);
        WorkflowResult result;
        try
        {
            result = await executor.RunAsync(workflow, state, observer, cancellationToken, request.Meter).ConfigureAwait(false);
        }
        catch (WorkflowFailedException e) when (e.InnerException is { } inner)
        {
            _traces.Flush(request.RunId);
            ExceptionDispatchInfo.Capture(inner).Throw();
            throw;
        }
        catch
        {
            _traces.Flush(request.RunId);
            throw;
        }
        var log = result.Agents;
        var plan = WorkflowExecutor.LatestOutput(workflow, state, AgentNames.Architect) is { } p ? ArchitectAgent.Spec.Read(p) : null;
        var build = WorkflowExecutor.LatestOutput(workflow, state, AgentNames.Builder) is { } b ? BuilderAgent.Spec.Read(b) : null;
        if (observer is not null) await observer(new ProposalsReady(result.Proposals), cancellationToken).ConfigureAwait(false);
        return new TeamResult(plan, build, log.Reviews, log.Integration, result.Proposals, log.Calls, log.SkippedAgents, log.Builds,
            Unresolved: log.Reviews.Count > 0 && !log.Reviews[^1].Valid, log.Recheck);
    }

    /// <summary>The action_proposal event of a proposal handed to the user (the team's and a workflow's alike), batched.</summary>
    internal static void TraceProposal(TraceStore traces, string runId, ActionProposal proposal) =>
        traces.AppendBatched(runId, TraceEventTypes.ActionProposal, new JsonObject
        {
            ["id"] = proposal.Id,
            ["tool"] = proposal.Tool,
            ["arguments"] = proposal.Arguments.DeepClone(),
            ["rationale"] = proposal.Rationale,
            ["proposed_by"] = proposal.ProposedBy,
            ["status"] = "proposed",
            ["review"] = proposal.Review,
        });
}
