using System.Runtime.InteropServices;
using MiniMe.Cli;

namespace MiniMe.Tests.Cli;

public sealed class TerminationSignalsTests
{
    [Fact]
    public void The_first_signal_is_held_and_cancels_the_token_and_a_second_is_left_to_end_the_process()
    {
        var error = new StringWriter();
        using var signals = TerminationSignals.Unregistered(error);
        var first = new PosixSignalContext(PosixSignal.SIGTERM);
        var second = new PosixSignalContext(PosixSignal.SIGINT);

        signals.Handle(first);

        Assert.True(first.Cancel);   // the process goes on and winds down
        Assert.True(signals.Token.IsCancellationRequested);
        Assert.Equal(PosixSignal.SIGTERM, signals.Signal);
        Assert.Contains("press Ctrl+C again to quit at once", error.ToString(), StringComparison.Ordinal);

        signals.Handle(second);

        Assert.False(second.Cancel);   // the runtime's default action ends the process
        Assert.Equal(PosixSignal.SIGTERM, signals.Signal);
    }
}
