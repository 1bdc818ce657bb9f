using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace MiniMe.Server.Goals;

/// <summary>
/// The events of GET /v1/notifications for one user: a <see cref="EventType"/> event per deadline
/// alert when the stream opens, then one whenever a goal becomes due or its alert changes (a write
/// through <see cref="GoalStore"/> in this process: new deadline, progress, title). Every
/// <see cref="PollInterval"/>, and at each new day, the alerts are read again, so goals written by
/// another process (`minime goals`, another server) and the alerts a new day brings arrive too.
/// A goal that stops being due (done, archived, deadline moved away) sends nothing.
/// </summary>
public sealed class GoalNotifications(GoalStore goals, GoalAlerts alerts, GoalNotifier notifier, TimeProvider time)
{
    public const string EventType = "goal_due";

    /// <summary>How often the alerts are read again without a change in this process.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <param name="opened">
    /// Called once the current alerts are out, before the stream waits: the HTTP face flushes the
    /// response there, so a client sees the stream open (its headers) even when nothing is due yet.
    /// </param>
    public async IAsyncEnumerable<SseItem<GoalAlert>> StreamAsync(string userId, Func<CancellationToken, Task>? opened,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Subscribed before the first read, so a change made while the current alerts are sent is not missed.
        using var subscription = notifier.Subscribe(userId);
        var today = alerts.Today;
        var sent = new Dictionary<string, GoalAlert>(StringComparer.Ordinal);
        foreach (var alert in alerts.For(userId, today))
        {
            sent[alert.GoalId] = alert;
            yield return Item(alert);
        }
        if (opened is not null) await opened(cancellationToken).ConfigureAwait(false);
        while (true)
        {
            var changed = await NextChangeAsync(subscription.Changes, cancellationToken).ConfigureAwait(false);
            if (changed is null)
            {
                // A poll or a new day: what is due is counted again (from the new day, if it is one).
                today = alerts.Today;
                var current = alerts.For(userId, today);
                var fresh = current.Where(a => !sent.TryGetValue(a.GoalId, out var before) || before != a).ToList();
                sent = current.ToDictionary(a => a.GoalId, StringComparer.Ordinal);
                foreach (var alert in fresh) yield return Item(alert);
                continue;
            }
            var goal = goals.Get(userId, changed);
            if (goal is null || alerts.Check(goal, today) is not { } now)
            {
                sent.Remove(changed);
                continue;
            }
            if (sent.TryGetValue(changed, out var previous) && previous == now) continue;
            sent[changed] = now;
            yield return Item(now);
        }
    }

    private static SseItem<GoalAlert> Item(GoalAlert alert) => new(alert, EventType);

    /// <summary>The next changed goal's id, or null when it is time to poll or the day ends first.</summary>
    private async Task<string?> NextChangeAsync(ChannelReader<string> changes, CancellationToken cancellationToken)
    {
        var local = time.GetLocalNow();
        var midnight = new DateTimeOffset(local.Date.AddDays(1), local.Offset);
        var wait = Min(Max(midnight - local, TimeSpan.FromSeconds(1)), PollInterval);
        using var pollOrDayEnd = new CancellationTokenSource(wait, time);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, pollOrDayEnd.Token);
        try
        {
            return await changes.ReadAsync(either.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
