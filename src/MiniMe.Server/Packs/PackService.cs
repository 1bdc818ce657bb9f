using System.Collections.Concurrent;
using MiniMe.Hosting.Users;
using MiniMe.Packs;

namespace MiniMe.Server.Packs;

/// <summary>
/// The knowledge packs of each user, for both faces (`minime packs` and /v1/packs): the workspace
/// owner's in the workspace's packs/ folder, every other user's in users/ID/packs/. Parsed packs are
/// kept in memory by folder and content hash, so a run does not re-read unchanged packs.
/// </summary>
public sealed class PackService(UserSpaces spaces)
{
    private readonly ConcurrentDictionary<string, LoadedPack> _cache = new(StringComparer.Ordinal);

    /// <summary>The store of <paramref name="user"/>'s packs.</summary>
    public PackStore For(UserSpace user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return new PackStore(Path.Combine(user.Root, "packs"), _cache);
    }

    /// <summary>The store of the user <paramref name="userId"/> (as a run names it).</summary>
    public PackStore For(string userId) => For(spaces.Get(userId));
}
