using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MiniMe.Hosting.Users;

namespace MiniMe.Server.Indexing;

/// <summary>
/// Fills in vectors in the background so an import answers as soon as its text is committed (lexical
/// search works at once; dense results join as vectors land): the owner's memory when the server
/// starts, and a user's after each of their imports. One fill at a time, in the order asked; a user
/// asked for twice while waiting is filled once. A fill that fails is logged and retried on the next
/// request; it never stops the server.
/// </summary>
internal sealed partial class VectorFillService(UserSpaces spaces, ILogger<VectorFillService> logger) : BackgroundService
{
    private readonly Channel<string> _requests = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private readonly HashSet<string> _queued = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>Asks for <paramref name="userId"/>'s pending vectors to be filled.</summary>
    public void Request(string userId)
    {
        lock (_lock)
        {
            if (!_queued.Add(userId)) return;
        }
        _requests.Writer.TryWrite(userId);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Request(spaces.OwnerId);
        try
        {
            await FillAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping (or a start that failed): waiting for requests ends; not a failure of the service.
        }
    }

    private async Task FillAsync(CancellationToken stoppingToken)
    {
        await foreach (var userId in _requests.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
        {
            lock (_lock) _queued.Remove(userId);
            try
            {
                var fill = await spaces.Get(userId).VectorBackfillAsync(stoppingToken).ConfigureAwait(false);
                if (fill is null) continue;
                var pending = await fill.PendingAsync(stoppingToken).ConfigureAwait(false);
                if (pending == 0) continue;
                LogStarted(userId, pending, fill.Model);
                var lastLog = DateTime.UtcNow;
                var done = await fill.FillAsync(new Progress(p =>
                {
                    if (DateTime.UtcNow - lastLog < TimeSpan.FromSeconds(10)) return;
                    lastLog = DateTime.UtcNow;
                    LogProgress(userId, p.Done, p.Total, p.Remaining?.TotalSeconds ?? 0);
                }), stoppingToken).ConfigureAwait(false);
                LogDone(userId, done);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogFailed(e, userId, e.Message);
            }
        }
    }

    /// <summary>Reports on the filling thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class Progress(Action<MiniMe.Memory.Vectors.VectorFillProgress> report) : IProgress<MiniMe.Memory.Vectors.VectorFillProgress>
    {
        public void Report(MiniMe.Memory.Vectors.VectorFillProgress value) => report(value);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Filling in vectors for {UserId}: {Pending} chunk texts with model {Model}")]
    private partial void LogStarted(string userId, long pending, string model);

    [LoggerMessage(Level = LogLevel.Information, Message = "Vectors for {UserId}: {Done} of {Total}, about {RemainingSeconds:0} s left")]
    private partial void LogProgress(string userId, long done, long total, double remainingSeconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Vectors for {UserId} filled in: {Done} chunk texts embedded")]
    private partial void LogDone(string userId, long done);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Filling in vectors for {UserId} failed: {Reason}; search stays lexical for what lacks a vector")]
    private partial void LogFailed(Exception exception, string userId, string reason);
}
