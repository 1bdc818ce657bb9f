using System.Security.Cryptography;

namespace MiniMe.Tools.Processes;

/// <summary>
/// What identifies one command's processes: its random id (in MINIME_COMMAND_ID of everything it starts),
/// when it started (clock ticks since boot, as /proc start times), its root process and, when it was
/// started through setsid, its session (= process group = the root's pid). Ending is set when its
/// teardown begins.
/// </summary>
internal sealed record CommandIdentity(string Id, ulong StartTicks, int RootPid, ulong? RootStartTicks, int Session, bool Ending);

/// <summary>The commands this MiniMe process is running right now (the server can run several at once).</summary>
internal static class RunningCommands
{
    private static readonly Lock Gate = new();
    private static readonly Dictionary<string, CommandIdentity> Commands = new(StringComparer.Ordinal);

    /// <summary>Registers a command before its process starts, so its processes are never mistaken for another's.</summary>
    public static CommandIdentity Register()
    {
        var identity = new CommandIdentity(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), Posix.BootTicksNow(), 0, null, 0, Ending: false);
        lock (Gate) Commands.Add(identity.Id, identity);
        return identity;
    }

    public static CommandIdentity Update(CommandIdentity identity)
    {
        lock (Gate) Commands[identity.Id] = identity;
        return identity;
    }

    public static void Remove(CommandIdentity identity)
    {
        lock (Gate) Commands.Remove(identity.Id);
    }

    public static IReadOnlyList<CommandIdentity> Snapshot()
    {
        lock (Gate) return [.. Commands.Values];
    }
}
