using System.Diagnostics;
using System.Text.Json.Nodes;
using MiniMe.Actions;
using MiniMe.Feedback;
using MiniMe.Tools.Trust;
using MiniMe.Tracing;

namespace MiniMe.Tools.Approval;

/// <summary>
/// One proposal from start to end: find the tool, validate and confine its arguments (the allowlist
/// refuses before anyone is asked), show and decide (the approval gate, --yes, dry run or analysis
/// only), execute, and audit: an `approval` event (decision, who, edited) and an `execution` event
/// (tool, redacted arguments, status, exit code, duration, files changed, sandboxed) in the run's
/// trace. Rejections and edits by a person (at the prompt or through the API) are stored as correction
/// pairs in feedback.jsonl (<see cref="ActionCorrections"/>). An executed command's stdout and stderr
/// are masked (<see cref="SecretRedactor"/>) before anyone sees them, and the execution event keeps the
/// end of each, at most <paramref name="traceOutputBytes"/> (tools.traceOutputBytes) per stream.
/// In a workspace that is not trusted (<see cref="WorkspaceTrust"/>) every proposal, read-only tools
/// included, is refused before anything is prepared: nothing is read, written or started.
/// After a successful action that changed files, <paramref name="changes"/> (when given) is told
/// the full paths under <paramref name="root"/>; its failure becomes a warning of the execution.
/// </summary>
public sealed partial class ToolRunner(ToolRegistry registry, TraceStore traces, FeedbackStore? feedback, TrustStatus trust,
    string? root = null, IWorkspaceChangeObserver? changes = null, int traceOutputBytes = ToolRunner.DefaultTraceOutputBytes, MiniMe.Hooks.HookDispatcher? hooks = null)
{
    /// <summary>tools.traceOutputBytes by default: how much of each output stream of a command the trace keeps.</summary>
    public const int DefaultTraceOutputBytes = 16 * 1024;

    /// <summary>How many times a user may edit one proposal before it counts as rejected.</summary>
    public const int MaxEdits = 5;

    public ToolRegistry Registry { get; } = registry;

    /// <summary>Whether the workspace the tools were built from is trusted; when not, every proposal is refused with its reason.</summary>
    public TrustStatus Trust { get; } = trust;

    public async Task<ActionOutcome> RunAsync(ActionProposal proposal, ApprovalMode mode, IApprovalGate gate, IActionPresenter presenter, string runId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(proposal);
        ArgumentNullException.ThrowIfNull(gate);
        ArgumentNullException.ThrowIfNull(presenter);
        if (mode == ApprovalMode.AnalysisOnly)
        {
            TraceApproval(runId, proposal, "analysis_only", Approvers.Policy, edits: 0, "analysis-only mode: no tools run");
            return new ActionOutcome(proposal, OutcomeStatus.NotRun, "not run: analysis-only mode");
        }
        if (Trust.Refusal is { } untrusted)
            return Refuse(runId, proposal, proposal.Arguments, OutcomeStatus.Refused, untrusted, 0);
        var tool = await Registry.FindAsync(proposal.Tool, cancellationToken).ConfigureAwait(false);
        if (tool is null)
            return Refuse(runId, proposal, proposal.Arguments, OutcomeStatus.Invalid, $"there is no tool '{proposal.Tool}' ({string.Join(", ", Registry.Descriptors.Select(d => d.Name))})", 0);

        var arguments = proposal.Arguments;
        var edits = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            PreparedAction prepared;
            try
            {
                prepared = await PrepareAsync(tool, arguments, cancellationToken).ConfigureAwait(false);
            }
            catch (ToolRefusedException e) { return Refuse(runId, proposal, arguments, OutcomeStatus.Refused, e.Message, edits); }
            catch (ToolArgumentException e) { return Refuse(runId, proposal, arguments, OutcomeStatus.Invalid, e.Message, edits); }
            catch (ToolFailedException e) { return Refuse(runId, proposal, arguments, OutcomeStatus.Failed, e.Message, edits); }

            var current = proposal with { Arguments = arguments };
            var request = new ApprovalRequest(current, tool.Descriptor, prepared.Preview);
            ApprovalDecision decision;
            if (mode == ApprovalMode.DryRun)
            {
                presenter.Present(request, "dry run: not executed");
                TraceApproval(runId, current, "dry_run", Approvers.Policy, edits, "dry-run mode: shown, not executed");
                return new ActionOutcome(current, OutcomeStatus.NotRun, "not run: dry run", prepared.Preview, Edited: edits > 0);
            }
            if (!tool.Descriptor.NeedsApproval)
            {
                decision = new ApprovalDecision.Accept(Approvers.Policy);
            }
            else if (mode == ApprovalMode.Yes)
            {
                presenter.Present(request, "approved by --yes");
                decision = new ApprovalDecision.Accept(Approvers.YesFlag);
            }
            else
            {
                decision = await gate.DecideAsync(request, cancellationToken).ConfigureAwait(false);
            }

            switch (decision)
            {
                case ApprovalDecision.Edit edit:
                    edits++;
                    TraceApproval(runId, current, "edited", edit.Who, edits, null);
                    if (feedback is not null && Approvers.IsPerson(edit.Who))
                        ActionCorrections.RecordEdited(feedback, runId, proposal, arguments, edit.Arguments);
                    if (edits > MaxEdits)
                    {
                        TraceApproval(runId, current, "rejected", Approvers.Policy, edits, $"edited more than {MaxEdits} times");
                        return new ActionOutcome(current, OutcomeStatus.Rejected, $"rejected: edited more than {MaxEdits} times", prepared.Preview, decision, Edited: true);
                    }
                    arguments = edit.Arguments;
                    continue;
                case ApprovalDecision.Reject reject:
                    TraceApproval(runId, current, "rejected", reject.Who, edits, reject.Reason);
                    if (feedback is not null && Approvers.IsPerson(reject.Who))
                        ActionCorrections.RecordRejected(feedback, runId, proposal, arguments, reject.Reason);
                    return new ActionOutcome(current, OutcomeStatus.Rejected, reject.Reason.StartsWith("not run", StringComparison.Ordinal) ? reject.Reason : $"rejected: {(reject.Reason.Length > 0 ? reject.Reason : "no reason given")}", prepared.Preview, decision, Edited: edits > 0);
                default:
                    TraceApproval(runId, current, tool.Descriptor.NeedsApproval ? "accepted" : "not_required", decision.Who, edits, null);
                    return await ExecuteWithHooksAsync(runId, current, tool, prepared, decision, edits, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// What approving the proposal would do, worked out exactly as <see cref="RunAsync"/> shows it at the
    /// approval prompt (the unified diff against the current file, the exact argument vector, warnings),
    /// without running or recording anything; or why it would not run (untrusted workspace, no such
    /// tool, arguments the schema or the allowlist refuse).
    /// </summary>
    public async Task<ProposalPreview> PreviewAsync(ActionProposal proposal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(proposal);
        if (Trust.Refusal is { } untrusted) return new ProposalPreview(null, OutcomeStatus.Refused, untrusted);
        var tool = await Registry.FindAsync(proposal.Tool, cancellationToken).ConfigureAwait(false);
        if (tool is null) return new ProposalPreview(null, OutcomeStatus.Invalid, $"there is no tool '{proposal.Tool}'");
        try
        {
            var prepared = await PrepareAsync(tool, proposal.Arguments, cancellationToken).ConfigureAwait(false);
            return new ProposalPreview(prepared.Preview, null, null);
        }
        catch (ToolRefusedException e) { return new ProposalPreview(null, OutcomeStatus.Refused, e.Message); }
        catch (ToolArgumentException e) { return new ProposalPreview(null, OutcomeStatus.Invalid, e.Message); }
        catch (ToolFailedException e) { return new ProposalPreview(null, OutcomeStatus.Failed, e.Message); }
    }

    /// <summary>Validates the arguments against the tool's schema, confines them (allowlist) and works out the change, with warnings.</summary>
    private static async Task<PreparedAction> PrepareAsync(ITool tool, JsonObject arguments, CancellationToken cancellationToken)
    {
        var validated = tool.Descriptor.Schema.Validate(tool.Descriptor.Name, arguments);
        return WithCodeFileWarnings(await tool.PrepareAsync(validated, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>A file change that writes a build input or script (allowed by write.code) says so in the approval.</summary>
    private static PreparedAction WithCodeFileWarnings(PreparedAction prepared)
    {
        var preview = prepared.Preview;
        if (preview.Kind != PreviewKind.FileChange || preview.Files is not { Count: > 0 } files) return prepared;
        var warnings = files.Select(f => Commands.CodeFiles.Match(f) is { } pattern ? Commands.CodeFiles.Why(f, pattern) : null).OfType<string>().ToList();
        return warnings.Count == 0 ? prepared : prepared.WithPreview(preview with { Warnings = [.. preview.Warnings ?? [], .. warnings] });
    }

    private async Task<ActionOutcome> ExecuteAsync(string runId, ActionProposal proposal, PreparedAction prepared, ApprovalDecision decision, int edits, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        ToolExecution? execution = null;
        string? failure = null;
        var status = OutcomeStatus.Failed;
        try
        {
            execution = await prepared.ExecuteAsync(cancellationToken).ConfigureAwait(false);
            // What a tool returns goes to the model: secrets inside ordinary files and command output are masked too.
            execution = execution with { Output = (JsonObject)SecretRedactor.Redact(execution.Output.DeepClone())!, Command = execution.Command?.Redacted() };
            status = execution.Succeeded ? OutcomeStatus.Succeeded : OutcomeStatus.Failed;
            execution = await NotifyAsync(execution, cancellationToken).ConfigureAwait(false);
        }
        catch (ToolRefusedException e) { status = OutcomeStatus.Refused; failure = e.Message; }
        catch (ToolArgumentException e) { status = OutcomeStatus.Invalid; failure = e.Message; }
        catch (ToolFailedException e) { failure = e.Message; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { failure = $"{e.GetType().Name}: {e.Message}"; }
        catch (OperationCanceledException)
        {
            TraceExecution(runId, proposal, "cancelled", "cancelled", null, clock.Elapsed, edits);
            throw;
        }
        clock.Stop();
        var message = failure ?? execution!.Summary;
        TraceExecution(runId, proposal, Status(status), message, execution, clock.Elapsed, edits);
        return new ActionOutcome(proposal, status, message, prepared.Preview, decision, execution, edits > 0);
    }

    /// <summary>Tells the observer which files the action changed; a failure is a warning, never the action's failure.</summary>
    private async Task<ToolExecution> NotifyAsync(ToolExecution execution, CancellationToken cancellationToken)
    {
        if (changes is null || root is null || execution.FilesChanged is not { Count: > 0 } changed) return execution;
        try
        {
            var paths = changed.Select(f => Path.GetFullPath(Path.Join(root, f))).ToList();
            await changes.FilesChangedAsync(root, paths, cancellationToken).ConfigureAwait(false);
            return execution;
        }
        catch (Exception e)
        {
            // The change is made and must be reported as made: memory catches up on the next import.
            var warning = $"memory not updated for {string.Join(", ", changed)}: {(e is OperationCanceledException ? "cancelled" : e.Message)}";
            System.Diagnostics.Trace.TraceWarning("minime: " + warning);
            return execution with { Warnings = [.. execution.Warnings ?? [], warning] };
        }
    }

    private ActionOutcome Refuse(string runId, ActionProposal proposal, JsonObject arguments, OutcomeStatus status, string reason, int edits)
    {
        var current = proposal with { Arguments = arguments };
        TraceExecution(runId, current, Status(status), reason, null, TimeSpan.Zero, edits);
        var prefix = status switch { OutcomeStatus.Refused => "refused", OutcomeStatus.Invalid => "invalid arguments", _ => "failed" };
        return new ActionOutcome(current, status, $"{prefix}: {reason}", Edited: edits > 0);
    }

    private void TraceApproval(string runId, ActionProposal proposal, string decision, string who, int edits, string? reason) =>
        traces.Append(runId, TraceEventTypes.Approval, new JsonObject
        {
            ["proposal_id"] = proposal.Id,
            ["tool"] = proposal.Tool,
            ["decision"] = decision,
            ["who"] = who,
            ["edited"] = edits > 0,
            ["edits"] = edits,
            ["reason"] = reason,
        });

    private void TraceExecution(string runId, ActionProposal proposal, string status, string message, ToolExecution? execution, TimeSpan duration, int edits) =>
        traces.Append(runId, TraceEventTypes.Execution, new JsonObject
        {
            ["proposal_id"] = proposal.Id,
            ["tool"] = proposal.Tool,
            ["args"] = TraceArguments.Prepare(proposal.Arguments),
            ["edited"] = edits > 0,
            ["status"] = status,
            ["message"] = message,
            ["exit_code"] = execution?.ExitCode,
            ["duration_ms"] = Math.Round(duration.TotalMilliseconds, 1),
            ["files_changed"] = new JsonArray([.. (execution?.FilesChanged ?? []).Select(f => (JsonNode?)f)]),
            ["sandboxed"] = execution?.Sandboxed,
            ["timed_out"] = execution?.TimedOut ?? false,
            ["output_truncated"] = execution?.OutputTruncated ?? false,
            ["warnings"] = new JsonArray([.. (execution?.Warnings ?? []).Select(w => (JsonNode?)w)]),
        }.WithCommandOutput(execution?.Command, traceOutputBytes));

    private static string Status(OutcomeStatus status) => status switch
    {
        OutcomeStatus.Succeeded => "succeeded",
        OutcomeStatus.Failed => "failed",
        OutcomeStatus.Refused => "refused",
        OutcomeStatus.Invalid => "invalid",
        OutcomeStatus.Rejected => "rejected",
        OutcomeStatus.Vetoed => "vetoed",
        _ => "not_run",
    };
}

internal static class CommandOutputTrace
{
    /// <summary>
    /// Adds a command's output to an execution event: the end of each stream (at most
    /// <paramref name="maxBytes"/> UTF-8 bytes), whether it was cut (here or at tools.maxOutputBytes),
    /// and the bytes printed in all. The trace store redacts the strings again as it writes them.
    /// </summary>
    public static JsonObject WithCommandOutput(this JsonObject data, CommandOutput? command, int maxBytes)
    {
        if (command is null) return data;
        var (stdout, stdoutCut) = CommandOutput.Tail(command.Stdout, maxBytes);
        var (stderr, stderrCut) = CommandOutput.Tail(command.Stderr, maxBytes);
        data["stdout"] = stdout;
        data["stderr"] = stderr;
        data["stdout_truncated"] = stdoutCut || command.StdoutTruncated;
        data["stderr_truncated"] = stderrCut || command.StderrTruncated;
        data["stdout_bytes"] = command.StdoutBytes;
        data["stderr_bytes"] = command.StderrBytes;
        data["command_duration_ms"] = Math.Round(command.Duration.TotalMilliseconds, 1);
        return data;
    }
}
