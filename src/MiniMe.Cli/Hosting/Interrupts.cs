namespace MiniMe.Cli.Hosting;

/// <summary>
/// Ctrl+C for a part of a command. While a command holds a claim (`minime chat` while an answer
/// streams), the first SIGINT cancels the claim's <see cref="InterruptClaim.Token"/> instead of the
/// whole command, and the claim ends; with nothing claimed, SIGINT cancels the command as always
/// (<see cref="TerminationSignals"/> asks here first). SIGTERM is never claimed.
/// </summary>
public sealed class Interrupts
{
    private InterruptClaim? _current;

    /// <summary>
    /// Takes the next Ctrl+C until the claim is disposed. Its token is also cancelled with
    /// <paramref name="cancellationToken"/> (the command's), so stopping the command stops the part too.
    /// A newer claim replaces an older one.
    /// </summary>
    public InterruptClaim Claim(CancellationToken cancellationToken)
    {
        var claim = new InterruptClaim(this, cancellationToken);
        Volatile.Write(ref _current, claim);
        return claim;
    }

    /// <summary>True while a claim waits for a Ctrl+C.</summary>
    public bool Claimed => Volatile.Read(ref _current) is not null;

    /// <summary>Gives the interrupt to the current claim, if any (which then ends); false when nothing is claimed.</summary>
    internal bool TryInterrupt() => Interlocked.Exchange(ref _current, null) is { } claim && claim.Interrupt();

    internal void Release(InterruptClaim claim) => Interlocked.CompareExchange(ref _current, null, claim);
}

/// <summary>A claim on the next Ctrl+C (<see cref="Interrupts.Claim"/>); disposing it hands Ctrl+C back to the command.</summary>
public sealed class InterruptClaim : IDisposable
{
    private readonly Interrupts _owner;
    private readonly CancellationTokenSource _source;
    private int _interrupted;

    internal InterruptClaim(Interrupts owner, CancellationToken cancellationToken)
    {
        _owner = owner;
        _source = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
    }

    /// <summary>Cancelled by the Ctrl+C this claim took, or by the command's token.</summary>
    public CancellationToken Token => _source.Token;

    /// <summary>True when a Ctrl+C (not the command's token) cancelled <see cref="Token"/>.</summary>
    public bool Interrupted => Volatile.Read(ref _interrupted) == 1;

    internal bool Interrupt()
    {
        Volatile.Write(ref _interrupted, 1);
        try
        {
            _source.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The part ended while the signal arrived: the interrupt is still this claim's (the command goes on).
        }
        return true;
    }

    public void Dispose()
    {
        _owner.Release(this);
        _source.Dispose();
    }
}
