using Microsoft.Extensions.AI;
using MiniMe.Agents;
using MiniMe.Runs;
using MiniMe.Server.Users;

namespace MiniMe.Server.Ask;

/// <summary>
/// POST /v1/ask with a model: the whole `minime ask` (masks, retrieval, context, then Architect,
/// Builder, Critic and Integrator) for one user; the Integrator's proposals wait for the user's
/// decision. A request with dry_run stops after the context, as on the CLI.
/// </summary>
/// <param name="chat">The model pipeline's client (the server's registered <see cref="IChatClient"/>).</param>
public sealed class TeamAskService(IChatClient chat, ServerEngine engine) : IAskService
{
    public async Task<AskOutcome> AskAsync(UserSpace user, AskRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(request);
        var team = request.DryRun ? null : new AgentTeam(chat, AgentTeamOptions.From(engine.Options.Llm), user.Traces);
        var pipeline = await user.AskPipelineAsync(cancellationToken, team).ConfigureAwait(false);
        var result = await pipeline.RunAsync(request, notice: null, cancellationToken).ConfigureAwait(false);
        return new AskOutcome(result, result.Team?.Proposals ?? []);
    }
}
