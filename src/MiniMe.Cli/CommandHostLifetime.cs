using Microsoft.Extensions.Hosting;

namespace MiniMe.Cli;

/// <summary>
/// The host lifetime of `minime serve`: starts at once and handles no signal. The host's default
/// ConsoleLifetime would take SIGINT and SIGTERM too and always cancel them, so a second Ctrl+C could
/// no longer quit at once; with this one <see cref="TerminationSignals"/> is the only handler and
/// serve stops through its command's cancellation token.
/// </summary>
internal sealed class CommandHostLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
