using System.Text.Json.Nodes;
using MiniMe.Actions;
using MiniMe.Hooks;

namespace MiniMe.Tools.Approval;

// The before_tool/after_tool hook points of the tool runner (docs/hooks.md). before_tool comes after the
// approval, right before execution: a deny is recorded as a `vetoed` execution event and nothing runs;
// a patch of "arguments" is checked again (schema, allowlist, worked-out change) and the patched
// arguments run. after_tool is told how it went; its verdict is traced only.
public sealed partial class ToolRunner
{
    /// <summary>The hooks tool calls go through (none unless the host gave some).</summary>
    public HookDispatcher Hooks => hooks ?? HookDispatcher.None;

    private async Task<ActionOutcome> ExecuteWithHooksAsync(string runId, ActionProposal proposal, ITool tool, PreparedAction prepared, ApprovalDecision decision, int edits,
        CancellationToken cancellationToken)
    {
        var dispatcher = Hooks;
        if (dispatcher.IsEmpty) return await ExecuteAsync(runId, proposal, prepared, decision, edits, cancellationToken).ConfigureAwait(false);
        var before = await dispatcher.BeforeToolAsync(runId, proposal.Id, proposal.Tool, proposal.Arguments, cancellationToken).ConfigureAwait(false);
        if (before.Denied) return Veto(runId, proposal, prepared, decision, edits, $"vetoed by hook {before.Hook}: {before.Reason}");
        if (before.Patched)
        {
            if (before.Payload["arguments"] is not JsonObject patched)
                return Veto(runId, proposal, prepared, decision, edits, "vetoed: a before_tool hook's patch left no arguments object");
            if (!JsonNode.DeepEquals(patched, proposal.Arguments))
            {
                proposal = proposal with { Arguments = (JsonObject)patched.DeepClone() };
                try
                {
                    prepared = await PrepareAsync(tool, proposal.Arguments, cancellationToken).ConfigureAwait(false);
                }
                catch (ToolRefusedException e) { return Refuse(runId, proposal, proposal.Arguments, OutcomeStatus.Refused, $"arguments patched by a hook: {e.Message}", edits); }
                catch (ToolArgumentException e) { return Refuse(runId, proposal, proposal.Arguments, OutcomeStatus.Invalid, $"arguments patched by a hook: {e.Message}", edits); }
                catch (ToolFailedException e) { return Refuse(runId, proposal, proposal.Arguments, OutcomeStatus.Failed, $"arguments patched by a hook: {e.Message}", edits); }
            }
        }
        var outcome = await ExecuteAsync(runId, proposal, prepared, decision, edits, cancellationToken).ConfigureAwait(false);
        await dispatcher.AfterToolAsync(runId, proposal.Id, proposal.Tool, proposal.Arguments, Status(outcome.Status), outcome.Message, outcome.Execution?.Output, cancellationToken)
            .ConfigureAwait(false);
        return outcome;
    }

    private ActionOutcome Veto(string runId, ActionProposal proposal, PreparedAction prepared, ApprovalDecision decision, int edits, string message)
    {
        TraceExecution(runId, proposal, Status(OutcomeStatus.Vetoed), message, null, TimeSpan.Zero, edits);
        return new ActionOutcome(proposal, OutcomeStatus.Vetoed, message, prepared.Preview, decision, Edited: edits > 0);
    }
}
