using System.Text;
using Microsoft.Win32.SafeHandles;

namespace MiniMe.Tools.Processes;

/// <summary>One process as /proc/PID/stat shows it. <see cref="StartTicks"/> is clock ticks since boot.</summary>
internal readonly record struct ProcStat(int Pid, char State, int ParentPid, int Group, int Session, ulong StartTicks)
{
    /// <summary>Exited, waiting to be reaped by its parent (it still holds its pid, so the pid cannot be reused).</summary>
    public bool IsZombie => State is 'Z' or 'X';
}

/// <summary>Reads the process table from /proc (Linux): one pass over /proc/*/stat, and a process's environment on demand.</summary>
internal static class ProcessTable
{
    /// <summary>True when /proc can be read here (Linux with procfs mounted).</summary>
    public static bool Available { get; } = OperatingSystem.IsLinux() && TryRead(Environment.ProcessId, out _);

    /// <summary>Every process visible now, by pid.</summary>
    public static Dictionary<int, ProcStat> Snapshot()
    {
        var table = new Dictionary<int, ProcStat>();
        Span<byte> buffer = stackalloc byte[1024];
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!TryParsePid(entry.AsSpan(6), out var pid)) continue;
            if (TryRead(pid, buffer, out var stat)) table[pid] = stat;
        }
        return table;
    }

    public static bool TryRead(int pid, out ProcStat stat)
    {
        Span<byte> buffer = stackalloc byte[1024];
        return TryRead(pid, buffer, out stat);
    }

    /// <summary>The value of <paramref name="variable"/> in the process's initial environment; null when absent or unreadable (another user, not dumpable, a zombie).</summary>
    public static string? ReadEnvironmentVariable(int pid, string variable)
    {
        byte[] environ;
        try
        {
            environ = File.ReadAllBytes($"/proc/{pid}/environ");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        var prefix = Encoding.ASCII.GetBytes(variable + "=");
        var rest = environ.AsSpan();
        while (!rest.IsEmpty)
        {
            var end = rest.IndexOf((byte)0);
            var entry = end < 0 ? rest : rest[..end];
            if (entry.StartsWith(prefix)) return Encoding.UTF8.GetString(entry[prefix.Length..]);
            if (end < 0) break;
            rest = rest[(end + 1)..];
        }
        return null;
    }

    private static bool TryRead(int pid, Span<byte> buffer, out ProcStat stat)
    {
        stat = default;
        int length;
        try
        {
            using SafeFileHandle handle = File.OpenHandle($"/proc/{pid}/stat");
            length = RandomAccess.Read(handle, buffer, 0);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;   // it exited while we looked
        }
        return TryParse(pid, buffer[..length], out stat);
    }

    /// <summary>Parses "pid (comm) S ppid pgrp session tty tpgid flags ... starttime ...": comm may hold spaces and ')', so fields start after the last ')'.</summary>
    internal static bool TryParse(int pid, ReadOnlySpan<byte> text, out ProcStat stat)
    {
        stat = default;
        var close = text.LastIndexOf((byte)')');
        if (close < 0 || close + 2 >= text.Length) return false;
        var rest = text[(close + 2)..];
        var state = (char)rest[0];
        long ppid = 0, group = 0, session = 0, start = 0;
        // Fields after comm, counted from 0: state, ppid, pgrp, session, ..., starttime is field 19.
        var field = 0;
        var position = 0;
        while (field <= 19 && position < rest.Length)
        {
            var end = rest[position..].IndexOf((byte)' ');
            var token = end < 0 ? rest[position..] : rest.Slice(position, end);
            switch (field)
            {
                case 1: if (!TryParseNumber(token, out ppid)) return false; break;
                case 2: if (!TryParseNumber(token, out group)) return false; break;
                case 3: if (!TryParseNumber(token, out session)) return false; break;
                case 19: if (!TryParseNumber(token, out start)) return false; break;
            }
            field++;
            if (end < 0) break;
            position += end + 1;
        }
        if (field <= 19) return false;
        stat = new ProcStat(pid, state, (int)ppid, (int)group, (int)session, (ulong)start);
        return true;
    }

    private static bool TryParsePid(ReadOnlySpan<char> name, out int pid)
    {
        pid = 0;
        if (name.IsEmpty || name.Length > 9) return false;
        foreach (var c in name)
        {
            if (c is < '0' or > '9') return false;
            pid = pid * 10 + (c - '0');
        }
        return pid > 0;
    }

    private static bool TryParseNumber(ReadOnlySpan<byte> token, out long value)
    {
        value = 0;
        if (token.IsEmpty) return false;
        var negative = token[0] == (byte)'-';
        if (negative) token = token[1..];
        if (token.IsEmpty) return false;
        foreach (var b in token)
        {
            if (b is < (byte)'0' or > (byte)'9') return false;
            value = value * 10 + (b - '0');
        }
        if (negative) value = -value;
        return true;
    }
}
