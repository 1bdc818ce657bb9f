using MiniMe.Actions;
using MiniMe.Runs;
using MiniMe.Server.Users;

namespace MiniMe.Server.Ask;

/// <summary>The run of an ask and the actions it proposes (kept pending until the user decides).</summary>
public sealed record AskOutcome(AskResult Result, IReadOnlyList<ActionProposal> Proposals);

/// <summary>
/// POST /v1/ask: plans the task for one user. The server ships <see cref="DryRunAskService"/>
/// (masks, retrieval and context, no model); the agent team plugs in by registering another
/// implementation that returns its proposals.
/// </summary>
public interface IAskService
{
    Task<AskOutcome> AskAsync(UserSpace user, AskRequest request, CancellationToken cancellationToken);
}

/// <summary>The dry run of `minime ask`: classify, masks, retrieval, context, traced; proposes nothing.</summary>
public sealed class DryRunAskService : IAskService
{
    public const string Notice = "The agent team is not connected to this server, so this is a dry run: masks, retrieval and the assembled context, no proposals.";

    public async Task<AskOutcome> AskAsync(UserSpace user, AskRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(request);
        var pipeline = await user.AskPipelineAsync(cancellationToken).ConfigureAwait(false);
        var result = await pipeline.RunAsync(request with { DryRun = true }, request.DryRun ? null : Notice, cancellationToken).ConfigureAwait(false);
        return new AskOutcome(result, []);
    }
}
