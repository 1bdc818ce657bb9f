using System.Globalization;
using System.Runtime.InteropServices;

namespace MiniMe.Tools.Processes;

/// <summary>The few POSIX calls .NET does not expose: signalling a whole process group, and finding its live members.</summary>
internal static partial class Posix
{
    public const int SigKill = 9;
    public const int SigStop = 19;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    /// <summary>Sends <paramref name="signal"/> to every process in the group; false when none is left.</summary>
    public static bool SignalGroup(int processGroup, int signal) => processGroup > 1 && Kill(-processGroup, signal) == 0;

    /// <summary>Processes of the group that are still running (zombies waiting to be reaped count as gone). Linux only.</summary>
    public static IReadOnlyList<int> LiveMembers(int processGroup)
    {
        var members = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            string stat;
            try
            {
                stat = File.ReadAllText(Path.Join(dir, "stat"));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;   // it exited while we looked
            }
            // "pid (comm) S ppid pgrp ...": comm may hold spaces and parentheses, so parse after the last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            if (fields.Length > 2 && fields[0] != "Z" && fields[0] != "X" &&
                int.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out var group) && group == processGroup)
                members.Add(pid);
        }
        return members;
    }
}
