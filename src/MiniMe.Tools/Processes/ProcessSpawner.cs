using System.Collections.Concurrent;
using System.Diagnostics;

namespace MiniMe.Tools.Processes;

/// <summary>
/// Starts processes from one thread that lives as long as MiniMe. bubblewrap's --die-with-parent (and
/// any PR_SET_PDEATHSIG) fires when the *thread* that forked the child exits, not the process: started
/// from a thread-pool thread, a sandboxed command is killed (exit 137) whenever the pool retires that
/// thread, which it does under load. From this thread, the child dies only when MiniMe does.
/// </summary>
internal static class ProcessSpawner
{
    private static readonly BlockingCollection<(ProcessStartInfo Start, TaskCompletionSource<Process> Started)> Queue = [];

    static ProcessSpawner()
    {
        var thread = new Thread(Run) { IsBackground = true, Name = "MiniMe process spawner" };
        thread.Start();
    }

    /// <summary>Process.Start on the spawner thread; its exceptions come back to the caller.</summary>
    public static Process Start(ProcessStartInfo start)
    {
        var started = new TaskCompletionSource<Process>(TaskCreationOptions.RunContinuationsAsynchronously);
        Queue.Add((start, started));
        return started.Task.GetAwaiter().GetResult();
    }

    private static void Run()
    {
        foreach (var (start, started) in Queue.GetConsumingEnumerable())
        {
            try
            {
                started.SetResult(Process.Start(start) ?? throw new InvalidOperationException($"Could not start {start.FileName}."));
            }
            catch (Exception e)
            {
                started.SetException(e);
            }
        }
    }
}
