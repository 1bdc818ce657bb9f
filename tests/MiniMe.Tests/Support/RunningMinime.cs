using System.Diagnostics;
using System.Text;

namespace MiniMe.Tests.Support;

/// <summary>
/// The built `minime` running as a child process that a test can signal (SIGINT, SIGTERM with the
/// real `kill`) while it works. Its output is collected as it comes, so a test waits for what it
/// printed, never for a fixed time. SIGINT and SIGTERM start at their default actions in the child
/// (`env --default-signal`): a shell runs background jobs with SIGINT ignored, and a child inherits
/// that, so without it a test started from such a job could not interrupt anything.
/// </summary>
public sealed class RunningMinime : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _out = new();
    private readonly StringBuilder _error = new();

    private RunningMinime(Process process) => _process = process;

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Out
    {
        get { lock (_out) return _out.ToString(); }
    }

    public string Error
    {
        get { lock (_error) return _error.ToString(); }
    }

    public static RunningMinime Start(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = MinimeProcess.StartInfo(args, environment);
        info.ArgumentList.Insert(0, info.FileName);
        info.ArgumentList.Insert(0, "--default-signal=INT,TERM");
        info.FileName = "env";   // env execs dotnet: the process id stays the one to signal
        var process = new Process { StartInfo = info };
        var running = new RunningMinime(process);
        process.OutputDataReceived += (_, e) => Append(running._out, e.Data);
        process.ErrorDataReceived += (_, e) => Append(running._error, e.Data);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return running;
    }

    private static void Append(StringBuilder text, string? line)
    {
        if (line is null) return;
        lock (text) text.Append(line).Append('\n');
    }

    /// <summary>Sends a signal with kill(1): "INT" is what Ctrl+C sends, "TERM" what a service manager sends.</summary>
    public async Task SignalAsync(string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-s", signal, Id.ToString(System.Globalization.CultureInfo.InvariantCulture) }, UseShellExecute = false })!;
        await kill.WaitForExitAsync();
        Assert.True(kill.ExitCode == 0, $"kill -s {signal} {Id} failed (exit {kill.ExitCode}); the process had {(HasExited ? "already exited" : "not exited")}");
    }

    /// <summary>Polls until <paramref name="condition"/> holds; fails (with the output so far) when the process exits first or the deadline passes.</summary>
    public async Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? deadline = null)
    {
        var clock = Stopwatch.StartNew();
        var limit = deadline ?? TimeSpan.FromMinutes(2);
        while (!condition())
        {
            if (HasExited && !condition())
                Assert.Fail($"minime exited ({_process.ExitCode}) before {what}.\nstdout:\n{Out}\nstderr:\n{Error}");
            if (clock.Elapsed > limit)
                Assert.Fail($"waited {limit.TotalSeconds:0} s for {what}.\nstdout:\n{Out}\nstderr:\n{Error}");
            await Task.Delay(10);
        }
    }

    /// <summary>Waits for the exit (generously) and returns the exit code; the process is killed if it does not end.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan? deadline = null)
    {
        using var timeout = new CancellationTokenSource(deadline ?? TimeSpan.FromMinutes(2));
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            Assert.Fail($"minime did not exit within {(deadline ?? TimeSpan.FromMinutes(2)).TotalSeconds:0} s.\nstdout:\n{Out}\nstderr:\n{Error}");
        }
        _process.WaitForExit();   // drains the redirected output
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
