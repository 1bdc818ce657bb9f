using System.Runtime.InteropServices;
using MiniMe.Cli.Hosting;

namespace MiniMe.Cli;

/// <summary>
/// Ctrl+C (SIGINT) and SIGTERM cancel <see cref="Token"/> instead of ending the process: the command
/// winds down (an ask writes its run_end "cancelled", an import keeps the batches it committed, serve
/// stops gracefully) and exits 130. A second signal is left to the runtime's default action, which
/// ends the process at once, so a wind-down that hangs can still be interrupted. A command may claim
/// the next Ctrl+C for a part of its work (<see cref="Interrupts"/>: the answer `minime chat` streams);
/// that SIGINT cancels only the part, and does not count as the first signal.
/// </summary>
/// <remarks>
/// System.CommandLine 2.0.0 handles no signal itself (its ProcessTerminationTimeout is null in that
/// release, and when set it returns a forced exit code after a grace period while the command is
/// still writing): <see cref="CliApp.RunAsync"/> turns it off and this class is the only handler.
/// </remarks>
internal sealed class TerminationSignals : IDisposable
{
    private readonly CancellationTokenSource _cancellation = new();
    private readonly TextWriter? _error;
    private readonly Interrupts? _interrupts;
    private readonly List<PosixSignalRegistration> _registrations = [];
    private int _received;

    private TerminationSignals(TextWriter? error, Interrupts? interrupts)
    {
        _error = error;
        _interrupts = interrupts;
    }

    /// <summary>Cancelled by the first SIGINT or SIGTERM.</summary>
    public CancellationToken Token => _cancellation.Token;

    /// <summary>The first signal received, if any.</summary>
    public PosixSignal? Signal { get; private set; }

    /// <summary>Handles SIGINT and SIGTERM for this process until disposed; <paramref name="error"/> gets one line when the first arrives.</summary>
    /// <param name="interrupts">Claims on Ctrl+C that commands take (<see cref="CliContext.Interrupts"/>), asked before the command is cancelled.</param>
    public static TerminationSignals Register(TextWriter? error, Interrupts? interrupts = null)
    {
        var signals = new TerminationSignals(error, interrupts);
        try
        {
            signals._registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, signals.Handle));
            signals._registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, signals.Handle));
        }
        catch (PlatformNotSupportedException)
        {
            // No POSIX signals here (browser, mobile): Ctrl+C keeps the runtime's default.
        }
        return signals;
    }

    /// <summary>A handler registered for no signal, whose <see cref="Handle"/> tests call with a context of their own.</summary>
    internal static TerminationSignals Unregistered(TextWriter? error, Interrupts? interrupts = null) => new(error, interrupts);

    /// <summary>
    /// A SIGINT a command claimed (before any other signal) cancels only the claim. Otherwise the first
    /// signal is cancelled and cancels <see cref="Token"/>; later ones are not, so the process ends.
    /// </summary>
    internal void Handle(PosixSignalContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Signal == PosixSignal.SIGINT && Volatile.Read(ref _received) == 0 && _interrupts?.TryInterrupt() == true)
        {
            context.Cancel = true;   // the command goes on; only the claimed part stops
            return;
        }
        if (Interlocked.Increment(ref _received) != 1) return;   // context.Cancel stays false: the default action ends the process
        context.Cancel = true;
        Signal = context.Signal;
        try
        {
            _error?.WriteLine($"{Name(context.Signal)}: stopping (press Ctrl+C again to quit at once)");
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // stderr is gone (a closed pipe): cancel all the same.
        }
        try
        {
            _cancellation.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The invocation already ended and disposed of this.
        }
    }

    private static string Name(PosixSignal signal) => signal switch
    {
        PosixSignal.SIGINT => "interrupted (SIGINT)",
        PosixSignal.SIGTERM => "terminated (SIGTERM)",
        _ => signal.ToString(),
    };

    public void Dispose()
    {
        foreach (var registration in _registrations) registration.Dispose();
        _registrations.Clear();
        _cancellation.Dispose();
    }
}
