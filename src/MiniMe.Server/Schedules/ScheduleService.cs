using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MiniMe.Hosting.Users;
using MiniMe.Runs;
using MiniMe.Server.Ask;
using MiniMe.Server.Chat;
using MiniMe.Server.Conversations;

namespace MiniMe.Server.Schedules;

/// <summary>How one run of a schedule went.</summary>
/// <param name="Trigger">due, catch_up (its time passed while no scheduler ran) or run_now.</param>
/// <param name="Coalesced">Occurrences a catch-up run stands for beyond the one it ran (missed while the server was down).</param>
/// <param name="RunId">The traced run; null when it failed before a run started (no chat model).</param>
/// <param name="ProposalIds">Kind ask: the proposed actions now waiting for approval.</param>
public sealed record ScheduleExecution(
    string ScheduleId,
    string UserId,
    string Trigger,
    int Coalesced,
    string? RunId,
    string Status,
    string? Detail,
    string? ConversationId,
    IReadOnlyList<string> ProposalIds);

/// <summary>
/// Schedules for both faces: `minime schedule` and /v1/schedules add, list and remove them and run one
/// now; the scheduler of `minime serve` (<see cref="SchedulerService"/>) runs what is due through
/// <see cref="RunDueAsync"/>. A run is an ordinary traced run whose task_start names the schedule
/// (schedule_id, schedule_trigger): kind chat is one chat turn (<see cref="ChatService"/>) in the
/// schedule's own conversation; kind ask is a task (<see cref="IAskService"/>) whose proposed actions
/// are stored pending in the <see cref="ProposalStore"/>, as /v1/ask does; kind workflow runs the named
/// workflow with the prompt as its task, every action it proposes (a tool node's, the final ones) stored
/// pending the same way and a human node leaving the run waiting: nothing is ever approved here.
/// </summary>
/// <remarks>
/// Missed runs: a claim moves next_run_at to the first occurrence after now, not after the one that
/// was due, so a schedule whose occurrences passed while no scheduler ran (the server was down) runs
/// once when one starts, never once per missed occurrence. A failed run is recorded and the schedule
/// moves on to its next occurrence, so a broken one never runs in a loop.
/// </remarks>
public sealed class ScheduleService(
    MiniMe.Configuration.Workspace workspace,
    ScheduleStore store,
    ScheduleOptions options,
    ServerOptions server,
    ChatService chat,
    IAskService ask,
    UserSpaces users,
    ProposalStore proposals,
    ConversationStore conversations,
    TimeProvider time,
    ILogger<ScheduleService>? logger = null)
{
    private const int MaxNameChars = 80;
    private const int MaxDetailChars = 300;
    private readonly ILogger _logger = logger ?? NullLogger<ScheduleService>.Instance;

    /// <summary>Told when a schedule was added or removed, so a waiting scheduler looks again.</summary>
    public event Action? Changed;

    /// <summary>Told after every run, whichever face started it.</summary>
    public event Action<ScheduleExecution>? Executed;

    public TimeZoneInfo Zone => options.Zone(time);

    /// <param name="kind">chat (default), ask, or workflow (the default when <paramref name="workflow"/> is given).</param>
    /// <param name="workflow">Kind workflow: builtin:NAME or the name of a manifest in the workspace's workflows/ (checked now).</param>
    public Schedule Add(string userId, string? cron, string? prompt, string? name = null, string? kind = null, string? workflow = null)
    {
        var expression = ScheduleCron.Parse(cron);
        var cleanWorkflow = workflow?.Trim() is { Length: > 0 } w ? w : null;
        var cleanKind = ScheduleKinds.Parse(kind ?? (cleanWorkflow is null ? null : ScheduleKinds.Workflow));
        if (cleanKind == ScheduleKinds.Workflow)
        {
            if (cleanWorkflow is null)
                throw new InvalidInputException("A workflow schedule needs the workflow: --workflow NAME (builtin:team, or a name from `minime workflow list`).");
            CheckWorkflow(cleanWorkflow);
        }
        else if (cleanWorkflow is not null)
            throw new InvalidInputException($"--workflow runs a workflow, so the kind is workflow, not {cleanKind}; leave --kind out.");
        var cleanPrompt = prompt?.Trim() ?? "";
        if (cleanPrompt.Length == 0)
            throw new InvalidInputException("The schedule's prompt is empty; give what each run asks, e.g. --prompt \"Summarize what I noted yesterday\".");
        if (cleanPrompt.Length > server.MaxMessageChars)
            throw new InvalidInputException($"The prompt has {cleanPrompt.Length} characters; the limit is {server.MaxMessageChars} (server.maxMessageChars).");
        var cleanName = name?.Trim() is { Length: > 0 } n ? n : DefaultName(cleanPrompt);
        if (cleanName.Length > MaxNameChars)
            throw new InvalidInputException($"The schedule's name has {cleanName.Length} characters; the limit is {MaxNameChars}.");
        var next = expression.RequireNext(time.GetUtcNow(), Zone);
        var schedule = store.Create(userId, cleanName, expression.Text, cleanKind, cleanPrompt, next, cleanWorkflow);
        Changed?.Invoke();
        return schedule;
    }

    public IReadOnlyList<Schedule> List(string userId) => store.List(userId);

    private MiniMe.Workflows.WorkflowCatalog Workflows => new(workspace.WorkflowsDirectory);

    /// <summary>A workflow by name only (builtin:NAME or workflows/NAME.workflow.yaml), never a path: API callers name no files. It must load and validate.</summary>
    private MiniMe.Workflows.WorkflowDefinition CheckWorkflow(string name, out string text)
    {
        if (name.Contains('/', StringComparison.Ordinal) || name.Contains('\\', StringComparison.Ordinal) || name.StartsWith('.'))
            throw new InvalidInputException($"'{name}' is not a workflow name: a schedule names a workflow (builtin:team, or a file in the workspace's workflows/ without .workflow.yaml), not a path.");
        return Workflows.Load(name, out text);
    }

    private void CheckWorkflow(string name) => CheckWorkflow(name, out _);

    public Schedule Require(string userId, string id) => store.Require(userId, id);

    public void Remove(string userId, string id)
    {
        if (!store.Delete(userId, id)) throw ScheduleStore.NotFound(id);
        Changed?.Invoke();
    }

    /// <summary>Runs the schedule now, outside its times (its next run stays where it was).</summary>
    public async Task<ScheduleExecution> RunNowAsync(string userId, string id, CancellationToken cancellationToken)
    {
        var schedule = store.Require(userId, id);
        store.MarkRunning(userId, id, time.GetUtcNow());
        return await ExecuteAsync(userId, schedule, ScheduleTriggers.RunNow, null, 0, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// One pass of the scheduler: claims and runs, one after another, every schedule due now (any user's).
    /// A schedule another scheduler claimed first is left to it.
    /// </summary>
    public async Task<IReadOnlyList<ScheduleExecution>> RunDueAsync(CancellationToken cancellationToken)
    {
        var executions = new List<ScheduleExecution>();
        var now = time.GetUtcNow();
        foreach (var (userId, schedule) in store.Due(now))
        {
            cancellationToken.ThrowIfCancellationRequested();
            ScheduleCron expression;
            DateTimeOffset? next;
            try
            {
                expression = ScheduleCron.Parse(schedule.Cron);
                next = expression.Next(now, Zone);
            }
            catch (InvalidInputException e)
            {
                // Stored by an older MiniMe, or edited by hand: recorded, and pushed far away so it is not retried every pass.
                if (store.TryClaim(userId, schedule.Id, schedule.NextRunAt, ScheduleStore.Never, now))
                    store.Finish(userId, schedule.Id, null, ScheduleStatuses.Failed, e.Message, null);
                continue;
            }
            // A schedule that never occurs again is parked likewise, after this last run.
            if (!store.TryClaim(userId, schedule.Id, schedule.NextRunAt, next ?? ScheduleStore.Never, now)) continue;
            var coalesced = expression.Count(schedule.NextRunAt, now, Zone);
            var trigger = coalesced > 0 ? ScheduleTriggers.CatchUp : ScheduleTriggers.Due;
            executions.Add(await ExecuteAsync(userId, schedule, trigger, schedule.NextRunAt, coalesced, cancellationToken).ConfigureAwait(false));
        }
        return executions;
    }

    private async Task<ScheduleExecution> ExecuteAsync(
        string userId, Schedule schedule, string trigger, DateTimeOffset? scheduledFor, int coalesced, CancellationToken cancellationToken)
    {
        var startData = new JsonObject
        {
            ["schedule_id"] = schedule.Id,
            ["schedule_name"] = schedule.Name,
            ["schedule_trigger"] = trigger,
        };
        if (scheduledFor is { } at) startData["scheduled_for"] = at.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
        if (coalesced > 0) startData["coalesced_occurrences"] = coalesced;

        ScheduleExecution execution;
        Exception? cancelled = null;
        try
        {
            execution = schedule.Kind switch
            {
                ScheduleKinds.Ask => await AskAsync(userId, schedule, trigger, coalesced, startData, cancellationToken).ConfigureAwait(false),
                ScheduleKinds.Workflow => await WorkflowAsync(userId, schedule, trigger, coalesced, startData, cancellationToken).ConfigureAwait(false),
                _ => await ChatAsync(userId, schedule, trigger, coalesced, startData, cancellationToken).ConfigureAwait(false),
            };
        }
        catch (ScheduleRunFailed failed)
        {
            execution = Failed(userId, schedule, trigger, coalesced, failed.RunId, failed.ConversationId, failed.InnerException!);
            if (failed.InnerException is OperationCanceledException oce && cancellationToken.IsCancellationRequested) cancelled = oce;
        }
        catch (Exception e)
        {
            execution = Failed(userId, schedule, trigger, coalesced, null, null, e);
            if (e is OperationCanceledException && cancellationToken.IsCancellationRequested) cancelled = e;
        }
        store.Finish(userId, schedule.Id, execution.RunId, execution.Status, execution.Detail, execution.ConversationId);
        if (execution.Status == ScheduleStatuses.Failed)
            _logger.LogWarning("Schedule {ScheduleId} ({Trigger}) failed: {Detail}", schedule.Id, trigger, execution.Detail);
        Executed?.Invoke(execution);
        // Recorded; then the caller that was cancelled (Ctrl+C, the server stopping) learns it was.
        if (cancelled is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(cancelled);
        return execution;
    }

    private async Task<ScheduleExecution> ChatAsync(
        string userId, Schedule schedule, string trigger, int coalesced, JsonObject startData, CancellationToken cancellationToken)
    {
        if (!chat.HasModel) throw new ModelUnavailableException(ChatService.NoModelDetail);
        // The schedule's own conversation: made by its first run (titled by the schedule), continued by the next.
        var conversationId = schedule.ConversationId is { } known && conversations.Get(userId, known) is not null
            ? known
            : conversations.Create(userId, schedule.Name).Id;
        ChatTurn? turn = null;
        try
        {
            turn = await chat.StartAsync(userId, new ChatRequest(schedule.Prompt, conversationId), startData, cancellationToken).ConfigureAwait(false);
            var reply = await turn.CompleteAsync(cancellationToken).ConfigureAwait(false);
            return new ScheduleExecution(schedule.Id, userId, trigger, coalesced, reply.RunId, ScheduleStatuses.Completed,
                Shorten(reply.Message.Content), conversationId, []);
        }
        catch (Exception e)
        {
            throw new ScheduleRunFailed(turn?.RunId, conversationId, e);
        }
    }

    private async Task<ScheduleExecution> AskAsync(
        string userId, Schedule schedule, string trigger, int coalesced, JsonObject startData, CancellationToken cancellationToken)
    {
        var space = users.Get(userId);
        var outcome = await ask.AskAsync(space, new AskRequest(schedule.Prompt, DryRun: false) { StartData = startData }, cancellationToken).ConfigureAwait(false);
        var result = outcome.Result;
        // As POST /v1/ask: every proposed action waits in the proposal store for the user's decision.
        var added = outcome.Proposals.Select(p => proposals.Add(userId, result.RunId, p)).ToList();
        await ProposalEvidence.ProposedAsync(space, added, cancellationToken).ConfigureAwait(false);
        var stored = added.Select(p => p.Id).ToList();
        var detail = result.Notice ?? (stored.Count == 0
            ? "No actions proposed."
            : $"{stored.Count} proposed action{(stored.Count == 1 ? "" : "s")} wait{(stored.Count == 1 ? "s" : "")} for approval (GET /v1/proposals, or the web UI's Proposals page).");
        return new ScheduleExecution(schedule.Id, userId, trigger, coalesced, result.RunId, result.Status, detail, null, stored);
    }

    private async Task<ScheduleExecution> WorkflowAsync(
        string userId, Schedule schedule, string trigger, int coalesced, JsonObject startData, CancellationToken cancellationToken)
    {
        var runner = await users.Get(userId).WorkflowRunnerAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new ModelUnavailableException(ChatService.NoModelDetail);
        var definition = CheckWorkflow(schedule.Workflow ?? "", out var manifest);
        var actions = new PendingWorkflowActions(proposals, userId, users.Get(userId));
        string? runId = null;
        try
        {
            var result = await runner.StartAsync(definition, manifest, schedule.Prompt, [], actions, observer: null, cancellationToken,
                started: id => runId = id, startData: startData).ConfigureAwait(false);
            var added = result.Proposals.Select(p => proposals.Add(userId, result.State.RunId, p)).ToList();
            await ProposalEvidence.ProposedAsync(users.Get(userId), added, cancellationToken).ConfigureAwait(false);
            var stored = actions.Stored.Concat(added.Select(p => p.Id)).ToList();
            var waiting = result.Waiting.Count > 0 ? $" It waits at {string.Join(", ", result.Waiting)} (`minime runs resume {result.State.RunId}`)." : "";
            var detail = (stored.Count == 0
                ? "No actions proposed."
                : $"{stored.Count} proposed action{(stored.Count == 1 ? "" : "s")} wait{(stored.Count == 1 ? "s" : "")} for approval (GET /v1/proposals, or the web UI's Proposals page).") + waiting;
            return new ScheduleExecution(schedule.Id, userId, trigger, coalesced, result.State.RunId, result.Status, detail, null, stored);
        }
        catch (Exception e) when (runId is not null)
        {
            throw new ScheduleRunFailed(runId, null, e);
        }
    }

    private static ScheduleExecution Failed(string userId, Schedule schedule, string trigger, int coalesced, string? runId, string? conversationId, Exception e)
    {
        var reason = e is OperationCanceledException ? "cancelled (the server stopped or the request was aborted during the run)" : e.Message.ReplaceLineEndings(" ");
        return new ScheduleExecution(schedule.Id, userId, trigger, coalesced, runId, ScheduleStatuses.Failed, Shorten(reason), conversationId, []);
    }

    private static string DefaultName(string prompt)
    {
        var oneLine = prompt.ReplaceLineEndings(" ");
        return oneLine.Length <= 60 ? oneLine : oneLine[..57].TrimEnd() + "...";
    }

    private static string Shorten(string text)
    {
        var oneLine = text.Trim().ReplaceLineEndings(" ");
        return oneLine.Length <= MaxDetailChars ? oneLine : oneLine[..(MaxDetailChars - 3)].TrimEnd() + "...";
    }

    /// <summary>A chat run that failed after it had a conversation (and maybe a run id) to record.</summary>
    private sealed class ScheduleRunFailed(string? runId, string? conversationId, Exception inner) : Exception(inner.Message, inner)
    {
        public string? RunId { get; } = runId;
        public string? ConversationId { get; } = conversationId;
    }

    /// <summary>
    /// A scheduled workflow's tool and human nodes: nobody is there to approve, so a tool node's action is
    /// stored pending in the proposal store (the node fails with where it waits; an error edge may take
    /// over) and a human node leaves the run waiting. Nothing runs without the user's decision.
    /// </summary>
    private sealed class PendingWorkflowActions(ProposalStore proposals, string userId, UserSpace space) : MiniMe.Workflows.IWorkflowActions
    {
        private readonly List<string> _stored = [];

        public IReadOnlyList<string> Stored { get { lock (_stored) return [.. _stored]; } }

        public async Task<JsonObject> RunToolAsync(string runId, MiniMe.Actions.ActionProposal proposal, CancellationToken cancellationToken)
        {
            var added = proposals.Add(userId, runId, proposal);
            await ProposalEvidence.ProposedAsync(space, [added], cancellationToken).ConfigureAwait(false);
            var id = added.Id;
            lock (_stored) _stored.Add(id);
            throw new MiniMe.Workflows.WorkflowNodeException(
                $"{proposal.Tool} waits for approval as proposal {id}: scheduled runs never approve actions (decide it in the web UI or with POST /v1/proposals/{id}/approve).");
        }

        public Task<bool?> ApproveAsync(string runId, string nodeId, string message, CancellationToken cancellationToken) => Task.FromResult<bool?>(null);
    }
}
