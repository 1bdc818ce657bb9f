using System.Diagnostics;
using System.Text;

namespace MiniMe.Tools.Processes;

/// <summary>
/// Starts a command as an argument vector (no shell), in its own session and process group (via
/// setsid where available) and maybe inside the sandbox, with stdin closed, a scrubbed environment,
/// capped output, and a timeout. When it ends, times out or is cancelled, everything it started is
/// killed: the group is frozen, the tree killed, then the group killed, and the runner waits until
/// no member is left, so no orphan survives it.
/// </summary>
public sealed class ProcessRunner
{
    private static readonly TimeSpan DrainGrace = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan GroupGrace = TimeSpan.FromSeconds(5);
    private readonly ISandbox _sandbox;
    private readonly string? _setsid;
    private int _started;

    public ProcessRunner(ISandbox sandbox, string? setsidPath)
    {
        _sandbox = sandbox;
        _setsid = OperatingSystem.IsLinux() ? setsidPath : null;
    }

    public ISandbox Sandbox => _sandbox;

    /// <summary>How many processes this runner has started (refused commands never reach it).</summary>
    public int StartedCount => Volatile.Read(ref _started);

    public async Task<CommandResult> RunAsync(CommandSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        cancellationToken.ThrowIfCancellationRequested();
        var launch = _sandbox.Wrap(spec.Program, spec.Arguments, spec.WorkingDirectory);
        var start = new ProcessStartInfo(_setsid ?? launch.FileName)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = spec.WorkingDirectory,
            CreateNoWindow = true,
        };
        if (_setsid is not null)
        {
            start.ArgumentList.Add("--");
            start.ArgumentList.Add(launch.FileName);
        }
        foreach (var argument in launch.Arguments) start.ArgumentList.Add(argument);
        var environment = new Dictionary<string, string>(spec.Environment, StringComparer.Ordinal);
        _sandbox.AdjustEnvironment(environment);
        start.Environment.Clear();
        foreach (var (name, value) in environment) start.Environment[name] = value;

        var clock = Stopwatch.StartNew();
        using var process = ProcessSpawner.Start(start);
        Interlocked.Increment(ref _started);
        var group = _setsid is not null ? process.Id : 0;
        try { process.StandardInput.Close(); } catch (IOException) { /* it exited already */ }
        var stdout = new StreamCapture(process.StandardOutput.BaseStream, spec.MaxOutputBytes);
        var stderr = new StreamCapture(process.StandardError.BaseStream, spec.MaxOutputBytes);

        var timedOut = false;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            timeout.CancelAfter(spec.Timeout);
            try
            {
                await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                timedOut = !cancellationToken.IsCancellationRequested;
            }
        }
        var exited = process.HasExited;
        var strays = await KillEverythingAsync(process, group).ConfigureAwait(false);
        // The pipes close when the last process holding them dies; a descendant that escaped the group
        // could hold them open, so reading gets a short grace and then keeps what arrived.
        await Task.WhenAny(Task.WhenAll(stdout.Completion, stderr.Completion), Task.Delay(DrainGrace, CancellationToken.None)).ConfigureAwait(false);
        clock.Stop();
        cancellationToken.ThrowIfCancellationRequested();
        return new CommandResult(
            exited && !timedOut ? process.ExitCode : null,
            timedOut,
            stdout.Snapshot(),
            stderr.Snapshot(),
            clock.Elapsed,
            _sandbox.IsActive,
            _sandbox.Name,
            strays);
    }

    /// <summary>Kills the process (if still running) and every process it left behind; returns how many strays there were.</summary>
    private static async Task<int> KillEverythingAsync(Process process, int group)
    {
        var strays = 0;
        if (group > 0)
        {
            strays = Posix.LiveMembers(group).Count(pid => pid != process.Id);
            Posix.SignalGroup(group, Posix.SigStop);   // freeze: nothing in the group can fork while we kill
        }
        if (!process.HasExited)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { /* exited meanwhile */ }
        }
        if (group > 0) Posix.SignalGroup(group, Posix.SigKill);
        await process.WaitForExitAsync(CancellationToken.None).WaitAsync(GroupGrace).ConfigureAwait(false);
        if (group > 0)
        {
            var deadline = Stopwatch.StartNew();
            while (Posix.LiveMembers(group).Count > 0 && deadline.Elapsed < GroupGrace)
            {
                Posix.SignalGroup(group, Posix.SigKill);
                await Task.Delay(10, CancellationToken.None).ConfigureAwait(false);
            }
        }
        return strays;
    }

    /// <summary>Reads a stream to its end, keeping the first <c>cap</c> bytes and counting the rest.</summary>
    private sealed class StreamCapture
    {
        private readonly Lock _gate = new();
        private readonly MemoryStream _kept = new();
        private readonly int _cap;
        private long _total;

        public StreamCapture(Stream stream, int cap)
        {
            _cap = cap;
            Completion = ReadAsync(stream);
        }

        public Task Completion { get; }

        public CapturedOutput Snapshot()
        {
            lock (_gate)
                return new CapturedOutput(Encoding.UTF8.GetString(_kept.GetBuffer(), 0, (int)_kept.Length), _total, _total > _kept.Length);
        }

        private async Task ReadAsync(Stream stream)
        {
            var buffer = new byte[16 * 1024];
            try
            {
                int read;
                while ((read = await stream.ReadAsync(buffer).ConfigureAwait(false)) > 0)
                {
                    lock (_gate)
                    {
                        _total += read;
                        var room = _cap - (int)_kept.Length;
                        if (room > 0) _kept.Write(buffer, 0, Math.Min(room, read));
                    }
                }
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                // The pipe was torn down with the process; keep what arrived.
            }
        }
    }
}
