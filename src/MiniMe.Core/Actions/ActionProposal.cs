using System.Text.Json.Nodes;

namespace MiniMe.Actions;

/// <summary>
/// A side effect an agent wants: a tool name (write_file, apply_patch, run_command, ...) and its
/// JSON arguments, with the reason. Agents only propose; the approval gate decides and the tool
/// runner executes within the allowlist.
/// </summary>
/// <param name="Id">Unique within a run, e.g. "p1".</param>
/// <param name="Tool">The tool's registered name.</param>
/// <param name="Arguments">Arguments matching the tool's JSON schema.</param>
/// <param name="Rationale">Why the agent proposes it, shown to the user.</param>
/// <param name="ProposedBy">The agent that proposed it (usually Integrator).</param>
/// <param name="Review">
/// Null when the proposal is what the Critic reviewed; otherwise why it is flagged, e.g. "changed after
/// review; static checks: secret.keyword-value line 3 (blocking)" (see MiniMe.Agents.ProposalRecheck).
/// The rationale of a flagged proposal starts with "[review: ...]" too, so surfaces that store or show
/// only the rationale carry it.
/// </param>
public sealed record ActionProposal(string Id, string Tool, JsonObject Arguments, string Rationale, string ProposedBy = "integrator", string? Review = null);
