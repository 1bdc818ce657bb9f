using System.Text.Json.Nodes;
using MiniMe.Actions;
using MiniMe.Feedback;
using MiniMe.Tracing;

namespace MiniMe.Tools.Approval;

/// <summary>
/// The correction pairs a person's decision about a proposed action leaves in feedback.jsonl, one
/// shape for every face (the terminal prompt, the API, the web UI): <c>action_rejected</c> with the
/// proposed arguments and the reason, <c>action_edited</c> with the proposed and the edited arguments.
/// </summary>
public static class ActionCorrections
{
    public const string Rejected = "action_rejected";
    public const string Edited = "action_edited";

    /// <summary>Records a rejection; the reason (when given) is the corrected text.</summary>
    public static void RecordRejected(FeedbackStore feedback, string runId, ActionProposal proposal, JsonObject arguments, string reason)
    {
        ArgumentNullException.ThrowIfNull(feedback);
        ArgumentNullException.ThrowIfNull(proposal);
        ArgumentNullException.ThrowIfNull(reason);
        feedback.Record(runId, new JsonObject
        {
            ["kind"] = Rejected,
            ["proposal_id"] = proposal.Id,
            ["tool"] = proposal.Tool,
            ["proposed"] = TraceArguments.Prepare(arguments),
            ["reason"] = reason,
        }, reason.Length > 0 ? reason : null);
    }

    /// <summary>Records an edit; the edited arguments (one JSON line) are the corrected text.</summary>
    public static void RecordEdited(FeedbackStore feedback, string runId, ActionProposal proposal, JsonObject proposed, JsonObject edited)
    {
        ArgumentNullException.ThrowIfNull(feedback);
        ArgumentNullException.ThrowIfNull(proposal);
        ArgumentNullException.ThrowIfNull(proposed);
        ArgumentNullException.ThrowIfNull(edited);
        feedback.Record(runId, new JsonObject
        {
            ["kind"] = Edited,
            ["proposal_id"] = proposal.Id,
            ["tool"] = proposal.Tool,
            ["proposed"] = TraceArguments.Prepare(proposed),
            ["edited"] = TraceArguments.Prepare(edited),
        }, edited.ToJsonString(JsonFormats.Line));
    }
}
