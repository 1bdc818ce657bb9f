using System.Globalization;
using System.Text;

namespace MiniMe.Tools.Tests.Support;

/// <summary>Looks at live processes through /proc (zombies, which hold no command line, do not count).</summary>
public static class LiveProcesses
{
    /// <summary>Pids of running processes whose command line contains <paramref name="marker"/>.</summary>
    public static IReadOnlyList<int> WithCommandLineContaining(string marker)
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            try
            {
                var cmdline = Encoding.UTF8.GetString(File.ReadAllBytes(Path.Join(dir, "cmdline"))).Replace('\0', ' ');
                if (cmdline.Contains(marker, StringComparison.Ordinal) && IsRunning(pid)) found.Add(pid);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return found;
    }

    public static bool IsRunning(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[0];
            return state is not ("Z" or "X");
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }

    /// <summary>The process's start time (clock ticks since boot), or null when there is no such pid.</summary>
    public static ulong? StartTicks(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return ulong.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[19], CultureInfo.InvariantCulture);
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    /// <summary>True while the process started at <paramref name="startTicks"/> still holds its pid, running or as a zombie nobody reaped.</summary>
    public static bool Exists(int pid, ulong startTicks) => StartTicks(pid) == startTicks;

    /// <summary>
    /// The pid a script wrote to <paramref name="path"/> once it is there (scripts write a temp file and
    /// rename it, so a half-written number is never read); one that never comes fails the test after a minute.
    /// </summary>
    public static async Task<int> WaitForPidFileAsync(string path)
    {
        using var patience = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        while (true)
        {
            if (File.Exists(path) && int.TryParse(File.ReadAllText(path).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
                return pid;
            await Task.Delay(20, patience.Token);
        }
    }
}
