using MiniMe.Actions;

namespace MiniMe.Agents;

/// <summary>Something that happened during a run, in order, for live display (CLI, server streams).</summary>
public abstract record TeamEvent;

/// <summary>The agent's routing weight is below the threshold; it does not run.</summary>
public sealed record AgentSkipped(string Agent, double Weight, double Threshold) : TeamEvent;

/// <summary>A model call begins. Iteration counts Builder/Critic rounds; Attempt counts re-asks.</summary>
public sealed record AgentStarted(string Agent, int Iteration, int Attempt) : TeamEvent;

/// <summary>Text streamed from the model.</summary>
public sealed record AgentDelta(string Agent, string Text) : TeamEvent;

/// <summary>A model call ended (valid or not).</summary>
public sealed record AgentFinished(AgentCallRecord Call) : TeamEvent;

public sealed record CriticVerdict(CriticReview Review) : TeamEvent;

public sealed record ProposalsReady(IReadOnlyList<ActionProposal> Proposals) : TeamEvent;

/// <summary>Receives team events as they happen.</summary>
public delegate ValueTask TeamObserver(TeamEvent teamEvent, CancellationToken cancellationToken);
