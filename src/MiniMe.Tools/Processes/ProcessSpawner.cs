using System.Collections.Concurrent;

namespace MiniMe.Tools.Processes;

/// <summary>
/// Starts processes from one thread that lives as long as MiniMe. On Linux a child's parent-death
/// signal (PR_SET_PDEATHSIG, which bubblewrap's --die-with-parent sets) fires when the *thread* that
/// forked it exits, not the process: a command started from a thread-pool thread that the pool then
/// retires was SIGKILLed mid-run. Forking from this thread ties it to MiniMe's life, as intended.
/// </summary>
internal static class ProcessSpawner
{
    private static readonly BlockingCollection<Action> Work = [];
    private static readonly Thread Spawner = StartThread();

    /// <summary>Runs <paramref name="start"/> (which forks) on the spawner thread and returns its result.</summary>
    public static Task<T> RunAsync<T>(Func<T> start)
    {
        GC.KeepAlive(Spawner);
        var result = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        Work.Add(() =>
        {
            try
            {
                result.SetResult(start());
            }
            catch (Exception e)
            {
                result.SetException(e);
            }
        });
        return result.Task;
    }

    private static Thread StartThread()
    {
        var thread = new Thread(() =>
        {
            foreach (var item in Work.GetConsumingEnumerable()) item();
        })
        {
            IsBackground = true,
            Name = "MiniMe process spawner",
        };
        thread.Start();
        return thread;
    }
}
