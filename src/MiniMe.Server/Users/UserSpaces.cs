using System.Collections.Concurrent;

namespace MiniMe.Server.Users;

/// <summary>The <see cref="UserSpace"/> of each user seen by this server, opened on first use and closed at shutdown.</summary>
public sealed class UserSpaces(ServerEngine engine) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<UserSpace>> _spaces = new(StringComparer.Ordinal);

    /// <summary>The user who owns the workspace (config user.name); their data is the workspace's own.</summary>
    public string OwnerId => engine.Options.User.Name;

    public UserSpace Get(string userId)
    {
        UserIds.Require(userId, "User");
        return _spaces.GetOrAdd(userId, id => new Lazy<UserSpace>(() => new UserSpace(engine, id, string.Equals(id, OwnerId, StringComparison.Ordinal)))).Value;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var space in _spaces.Values.Where(s => s.IsValueCreated))
            await space.Value.DisposeAsync().ConfigureAwait(false);
        _spaces.Clear();
    }
}
