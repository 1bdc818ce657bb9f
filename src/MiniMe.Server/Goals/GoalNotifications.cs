using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace MiniMe.Server.Goals;

/// <summary>
/// The events of GET /v1/notifications for one user: a <see cref="EventType"/> event per deadline
/// alert when the stream opens, then one whenever a goal becomes due or its alert changes (a write
/// through <see cref="GoalStore"/> in this process: new deadline, progress, title), and at each new
/// day the alerts that day brings. A goal that stops being due (done, archived, deadline moved away) sends nothing.
/// </summary>
public sealed class GoalNotifications(GoalStore goals, GoalAlerts alerts, GoalNotifier notifier, TimeProvider time)
{
    public const string EventType = "goal_due";

    public async IAsyncEnumerable<SseItem<GoalAlert>> StreamAsync(string userId, [EnumeratorCancellation] CancellationToken cancellationToken)
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
        while (true)
        {
            var changed = await NextChangeAsync(subscription.Changes, cancellationToken).ConfigureAwait(false);
            if (changed is null)
            {
                // A new day: what is due is counted again from it.
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

    /// <summary>The next changed goal's id, or null when the day ends first.</summary>
    private async Task<string?> NextChangeAsync(ChannelReader<string> changes, CancellationToken cancellationToken)
    {
        var local = time.GetLocalNow();
        var midnight = new DateTimeOffset(local.Date.AddDays(1), local.Offset);
        using var dayEnds = new CancellationTokenSource(Max(midnight - local, TimeSpan.FromSeconds(1)), time);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, dayEnds.Token);
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
}
