namespace MiniMe.Tracing;

/// <summary>The event types a run trace may hold (SPEC 3.7).</summary>
public static class TraceEventTypes
{
    public const string TaskStart = "task_start";
    public const string MaskGeneration = "mask_generation";
    public const string Retrieval = "retrieval";
    public const string ContextAssembly = "context_assembly";
    /// <summary>One model call: agent, model, tokens, cost, latency, status, HTTP retries (written by the model pipeline).</summary>
    public const string AgentCall = "agent_call";
    /// <summary>What an agent made of a model call's answer: valid, repaired, repairs, errors, output.</summary>
    public const string AgentOutput = "agent_output";
    /// <summary>A read-only tool an agent called while it thought: agent, tool, arguments (redacted), bytes returned, ms, error (refused, failed, not offered, over the limit).</summary>
    public const string AgentToolCall = "agent_tool_call";
    /// <summary>The current text of the planned files put in the Builder's prompt: iteration, files (path, bytes, truncated), missing.</summary>
    public const string CurrentFiles = "current_files";
    /// <summary>A model call failed over to the next of llm.fallbacks: from, to, reason (timeout, http_5xx, rate_limited, unreachable), status, agent, error.</summary>
    public const string ModelFallback = "model_fallback";
    public const string AgentSkipped = "agent_skipped";
    public const string CriticReview = "critic_review";
    /// <summary>The Integrator's proposals compared with what the Critic reviewed: per proposal its status, digests, static findings and review note.</summary>
    public const string ProposalReview = "proposal_review";
    public const string ActionProposal = "action_proposal";
    public const string Approval = "approval";
    public const string Execution = "execution";
    /// <summary>One hook's decision on one event: event, hook, verdict (allow, deny, patch, error), reason, ms.</summary>
    public const string Hook = "hook";
    public const string Feedback = "feedback";
    public const string Error = "error";
    public const string RunEnd = "run_end";
    /// <summary>A workflow run began or resumed (workflow name, source, resumed).</summary>
    public const string WorkflowStart = "workflow_start";
    /// <summary>A workflow node began (node, type, iteration).</summary>
    public const string NodeStart = "node_start";
    /// <summary>A workflow node ended (node, type, status, tokens, error).</summary>
    public const string NodeEnd = "node_end";
    /// <summary>A reflection panel's outcome: subject, perspectives' verdicts, the disagreement index and its parts, the synthesis (docs/reflection.md).</summary>
    public const string Reflection = "reflection";
    /// <summary>Facts captured after a chat turn or run (facts.capture): mode, origin, each proposal with its importance features and what remembering did.</summary>
    public const string FactCapture = "fact_capture";
    /// <summary>A fact capture that could not run or gave no usable answer: reason; the turn or run goes on.</summary>
    public const string FactCaptureFailed = "fact_capture_failed";
    /// <summary>A fact capture not attempted: reason (no model configured, a dry run).</summary>
    public const string FactCaptureSkipped = "fact_capture_skipped";
}
