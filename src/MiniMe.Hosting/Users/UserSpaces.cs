using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using MiniMe.Configuration;

namespace MiniMe.Hosting.Users;

/// <summary>
/// One DI scope per user of the engine, opened on first use and closed with the engine: the CLI
/// uses the owner's; the server one per API user. Each scope's <see cref="UserSpace"/> holds that
/// user's stores, traces, feedback and identity; the engine's singletons are shared.
/// </summary>
public sealed class UserSpaces(IServiceProvider services, MiniMeOptions options) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<(AsyncServiceScope Scope, UserSpace Space)>> _spaces = new(StringComparer.Ordinal);
    private volatile bool _disposed;

    /// <summary>The user who owns the workspace (config user.name); their data is the workspace's own.</summary>
    public string OwnerId => options.User.Name;

    /// <summary>The workspace owner's space: what the CLI works on.</summary>
    public UserSpace Owner => Get(OwnerId);

    public UserSpace Get(string userId)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var isOwner = string.Equals(userId, OwnerId, StringComparison.Ordinal);
        if (!isOwner) UserIds.Require(userId, "User");
        return _spaces.GetOrAdd(userId, id => new Lazy<(AsyncServiceScope, UserSpace)>(() =>
        {
            var scope = services.CreateAsyncScope();
            scope.ServiceProvider.GetRequiredService<UserScope>().Bind(id, isOwner);
            return (scope, scope.ServiceProvider.GetRequiredService<UserSpace>());
        })).Value.Space;
    }

    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        foreach (var space in _spaces.Values.Where(s => s.IsValueCreated))
            await space.Value.Scope.DisposeAsync().ConfigureAwait(false);
        _spaces.Clear();
    }
}
