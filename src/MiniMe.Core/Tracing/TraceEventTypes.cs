namespace MiniMe.Tracing;

/// <summary>The event types a run trace may hold (SPEC 3.7).</summary>
public static class TraceEventTypes
{
    public const string TaskStart = "task_start";
    public const string MaskGeneration = "mask_generation";
    public const string Retrieval = "retrieval";
    public const string ContextAssembly = "context_assembly";
    public const string AgentCall = "agent_call";
    public const string AgentSkipped = "agent_skipped";
    public const string CriticReview = "critic_review";
    public const string ActionProposal = "action_proposal";
    public const string Approval = "approval";
    public const string Execution = "execution";
    public const string Feedback = "feedback";
    public const string Error = "error";
    public const string RunEnd = "run_end";
}
