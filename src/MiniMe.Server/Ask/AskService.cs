using MiniMe.Actions;
using MiniMe.Hosting.Users;
using MiniMe.Runs;

namespace MiniMe.Server.Ask;

/// <summary>The run of an ask and the actions it proposes (kept pending until the user decides).</summary>
public sealed record AskOutcome(AskResult Result, IReadOnlyList<ActionProposal> Proposals);

/// <summary>POST /v1/ask: plans the task for one user.</summary>
public interface IAskService
{
    Task<AskOutcome> AskAsync(UserSpace user, AskRequest request, CancellationToken cancellationToken);
}

/// <summary>
/// The whole `minime ask` for one user, from the same user space the CLI uses: masks, memory and
/// facts, context, then Architect, Builder, Critic and Integrator over the model pipeline; the
/// Integrator's proposals wait for the user's decision. A request with dry_run stops after the
/// context, as on the CLI; so does every request when no model is configured, with a notice.
/// </summary>
public sealed class AskService : IAskService
{
    public const string Notice = "No model is configured (llm.provider: none), so this is a dry run: masks, retrieval and the assembled context, no proposals.";

    public async Task<AskOutcome> AskAsync(UserSpace user, AskRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(request);
        var withTeam = !request.DryRun && user.Chat is not null;
        var notice = request.DryRun || withTeam ? null : Notice;
        var pipeline = await user.AskPipelineAsync(cancellationToken, withTeam).ConfigureAwait(false);
        var result = await pipeline.RunAsync(notice is null ? request : request with { DryRun = true }, notice, cancellationToken).ConfigureAwait(false);
        return new AskOutcome(result, result.Team?.Proposals ?? []);
    }
}
