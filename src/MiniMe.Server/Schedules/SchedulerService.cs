using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace MiniMe.Server.Schedules;

/// <summary>
/// The scheduler of `minime serve` (a hosted service; the CLI never starts one): on start it runs every
/// schedule whose time passed while no server ran, once each (<see cref="ScheduleService.RunDueAsync"/>
/// coalesces the missed occurrences), then sleeps on the <see cref="TimeProvider"/> until the earliest
/// next run, or at most <see cref="MaxSleep"/>, so schedules another process added (`minime schedule add`
/// while the server runs, another server over one PostgreSQL database) are seen within that.
/// Adding or removing a schedule here wakes it at once. Due runs go one after another.
/// </summary>
public sealed class SchedulerService(ScheduleService schedules, ScheduleStore store, TimeProvider time, ILogger<SchedulerService>? logger = null) : BackgroundService
{
    public static readonly TimeSpan MaxSleep = TimeSpan.FromMinutes(1);

    private readonly ILogger _logger = logger ?? NullLogger<SchedulerService>.Instance;
    private readonly Lock _wakeLock = new();
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        schedules.Changed += Wake;
        try
        {
            // Off the host's start-up path: the catch-up runs while Kestrel starts, not before it.
            await Task.Yield();
            while (!stoppingToken.IsCancellationRequested)
            {
                Task woken;
                lock (_wakeLock) woken = _wake.Task;
                var sleep = MaxSleep;
                try
                {
                    var ran = await schedules.RunDueAsync(stoppingToken).ConfigureAwait(false);
                    if (store.Earliest() is { } earliest)
                        sleep = Clamp(earliest - time.GetUtcNow());
                    // Still due although nothing could be claimed: another scheduler is on it; look again shortly, not in a loop.
                    if (sleep == TimeSpan.Zero && ran.Count == 0) sleep = TimeSpan.FromSeconds(1);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The database went away for a moment, say: try again after the longest sleep, not in a loop.
                    _logger.LogWarning("The scheduler could not run due schedules ({Message}); it tries again in {Seconds} s.", e.Message, MaxSleep.TotalSeconds);
                }
                if (sleep <= TimeSpan.Zero) continue;
                using var delay = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                var timer = Task.Delay(sleep, time, delay.Token);
                await Task.WhenAny(timer, woken).ConfigureAwait(false);
                await delay.CancelAsync().ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The server is stopping.
        }
        finally
        {
            schedules.Changed -= Wake;
        }
    }

    private static TimeSpan Clamp(TimeSpan until) => until < TimeSpan.Zero ? TimeSpan.Zero : until > MaxSleep ? MaxSleep : until;

    private void Wake()
    {
        lock (_wakeLock)
        {
            _wake.TrySetResult();
            _wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }
}
