using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;

namespace MiniMe.Agents;

/// <summary>Turns work that reports events to a callback into an <see cref="IAsyncEnumerable{T}"/>.</summary>
public static class EventStream
{
    /// <summary>
    /// Runs <paramref name="produce"/> and yields what it reports. Its exception (or cancellation)
    /// surfaces from the enumeration after the events reported before it; a consumer that stops early
    /// cancels the producer and waits for it.
    /// </summary>
    public static async IAsyncEnumerable<T> From<T>(
        Func<Func<T, CancellationToken, ValueTask>, CancellationToken, Task> produce,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(produce);
        var channel = Channel.CreateUnbounded<T>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Exception? failure = null;
        var producer = Task.Run(async () =>
        {
            try
            {
                await produce((item, token) => channel.Writer.WriteAsync(item, token), stop.Token).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                failure = e;
            }
            finally
            {
                channel.Writer.TryComplete();
            }
        }, CancellationToken.None);

        try
        {
            while (await channel.Reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
                while (channel.Reader.TryRead(out var item))
                    yield return item;
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await producer.ConfigureAwait(false);
        }
        if (failure is not null) ExceptionDispatchInfo.Throw(failure);
    }
}
