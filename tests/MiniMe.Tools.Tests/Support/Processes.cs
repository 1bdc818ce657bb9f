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
}
