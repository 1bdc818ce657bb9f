using System.Diagnostics;
using System.Text;

namespace MiniMe.Tools.Processes;

/// <summary>
/// Starts a command as an argument vector (no shell), in its own session and process group (via
/// setsid where available) and maybe inside the sandbox, with stdin closed, a scrubbed environment,
/// capped output, and a timeout. When it ends, times out or is cancelled, everything it started is
/// killed, so no orphan survives it: on Linux <see cref="CommandTree"/> finds the whole tree (the
/// session, descendants, and daemons that double-forked away, which come back to MiniMe as child
/// subreaper) from /proc snapshots, freezes it and kills it; elsewhere the group and the process tree
/// are killed.
/// </summary>
public sealed class ProcessRunner
{
    private static readonly TimeSpan DrainGrace = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan RootGrace = TimeSpan.FromSeconds(5);
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
        CommandIdentity? command = null;
        if (ProcessTable.Available)
        {
            CommandTree.EnsureSubreaper();
            command = RunningCommands.Register();
            environment[CommandTree.IdVariable] = command.Id;
        }
        start.Environment.Clear();
        foreach (var (name, value) in environment) start.Environment[name] = value;

        var clock = Stopwatch.StartNew();
        Process process;
        try
        {
            var registered = command;
            var ownSession = _setsid is not null;
            (process, command) = await ProcessSpawner.RunAsync(() => Start(start, spec.Program, registered, ownSession)).ConfigureAwait(false);
        }
        catch
        {
            if (command is not null) RunningCommands.Remove(command);
            throw;
        }
        using var _ = process;
        Interlocked.Increment(ref _started);
        var stdout = new StreamCapture(process.StandardOutput.BaseStream, spec.MaxOutputBytes);
        var stderr = new StreamCapture(process.StandardError.BaseStream, spec.MaxOutputBytes);
        var input = WriteInputAsync(process, spec.StandardInput);

        var timedOut = false;
        var exited = false;
        int strays;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(spec.Timeout);
            try
            {
                await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                timedOut = !cancellationToken.IsCancellationRequested;
            }
            exited = process.HasExited;
        }
        finally
        {
            strays = await KillEverythingAsync(process, command, _setsid is not null ? process.Id : 0).ConfigureAwait(false);
        }
        // The pipes close when the last process holding them dies; one that could not be killed (another
        // user's) could hold them open, so reading gets a short grace and then keeps what arrived.
        await Task.WhenAny(Task.WhenAll(stdout.Completion, stderr.Completion, input), Task.Delay(DrainGrace, CancellationToken.None)).ConfigureAwait(false);
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

    private static (Process Process, CommandIdentity? Command) Start(ProcessStartInfo start, string program, CommandIdentity? command, bool ownSession)
    {
        if (command is null)
            return (Process.Start(start) ?? throw new ToolFailedException($"Could not start {program}."), null);
        // No teardown pass may look at the table between the fork and the root's registration.
        lock (CommandTree.StartGate)
        {
            var process = Process.Start(start) ?? throw new ToolFailedException($"Could not start {program}.");
            return (process, CommandTree.Started(command, process.Id, ownSession));
        }
    }

    /// <summary>Kills the process (if still running) and every process it left behind; returns how many strays there were.</summary>
    private static async Task<int> KillEverythingAsync(Process process, CommandIdentity? command, int group)
    {
        int strays;
        if (command is not null)
        {
            strays = await CommandTree.KillAsync(command).ConfigureAwait(false);
        }
        else
        {
            // No /proc: the group (frozen first, so nothing in it forks meanwhile) and .NET's tree walk.
            strays = 0;
            if (group > 0) Posix.SignalGroup(group, Posix.SigStop);
            if (!process.HasExited)
            {
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { /* exited meanwhile */ }
            }
            if (group > 0) Posix.SignalGroup(group, Posix.SigKill);
        }
        try
        {
            await process.WaitForExitAsync(CancellationToken.None).WaitAsync(RootGrace).ConfigureAwait(false);
            // Reaped: its pid may now be reused, so it stops being a known root only now.
            if (command is not null) RunningCommands.Remove(command);
        }
        catch (TimeoutException)
        {
            // It could not be killed (it became another user's); it stays registered so no teardown reaps it.
        }
        return strays;
    }

    /// <summary>Reads a stream to its end, keeping the first <c>cap</c> bytes and counting the rest.</summary>
    /// <summary>Writes <paramref name="text"/> (UTF-8, may be null: nothing) to the process's stdin and closes it; a process that exits or stops reading ends the write quietly.</summary>
    private static async Task WriteInputAsync(Process process, string? text)
    {
        try
        {
            if (text is { Length: > 0 })
            {
                await process.StandardInput.BaseStream.WriteAsync(System.Text.Encoding.UTF8.GetBytes(text)).ConfigureAwait(false);
                await process.StandardInput.BaseStream.FlushAsync().ConfigureAwait(false);
            }
            process.StandardInput.Close();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException) { /* it exited or closed its stdin */ }
    }

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
