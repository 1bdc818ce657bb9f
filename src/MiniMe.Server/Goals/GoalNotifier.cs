using System.Collections.Concurrent;
using System.Threading.Channels;

namespace MiniMe.Server.Goals;

/// <summary>
/// Tells listeners in this process that a user's goal changed (created, edited, a milestone moved):
/// <see cref="GoalStore"/> calls <see cref="Changed"/> after each write, and every open
/// GET /v1/notifications stream of that user re-checks the goal's deadline at once. In-process only: a
/// goal written by another process (the CLI, another server) is seen at the stream's next poll.
/// </summary>
public sealed class GoalNotifier
{
    private const int QueuedChanges = 256;

    private readonly ConcurrentDictionary<GoalSubscription, byte> _subscriptions = new();

    /// <summary>Listens to one user's goal changes until the subscription is disposed.</summary>
    public GoalSubscription Subscribe(string userId)
    {
        var subscription = new GoalSubscription(userId, this);
        _subscriptions.TryAdd(subscription, 0);
        return subscription;
    }

    /// <summary>The goal changed (or was deleted); every subscription of its user hears its id.</summary>
    public void Changed(string userId, string goalId)
    {
        foreach (var subscription in _subscriptions.Keys)
            if (subscription.UserId == userId) subscription.Writer.TryWrite(goalId);
    }

    internal void Remove(GoalSubscription subscription) => _subscriptions.TryRemove(subscription, out _);

    /// <summary>Ids of the user's goals as they change; the oldest are dropped if a listener falls far behind.</summary>
    public sealed class GoalSubscription : IDisposable
    {
        private readonly Channel<string> _changes = Channel.CreateBounded<string>(
            new BoundedChannelOptions(QueuedChanges) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

        private readonly GoalNotifier _owner;

        internal GoalSubscription(string userId, GoalNotifier owner)
        {
            UserId = userId;
            _owner = owner;
        }

        public string UserId { get; }

        public ChannelReader<string> Changes => _changes.Reader;

        internal ChannelWriter<string> Writer => _changes.Writer;

        public void Dispose()
        {
            _owner.Remove(this);
            _changes.Writer.TryComplete();
        }
    }
}
