using System.Diagnostics;

namespace MiniMe.Install.Tests.Support;

/// <summary>What a finished process printed and returned.</summary>
public sealed record RunResult(string Command, int ExitCode, string Out, string Error)
{
    /// <summary>The command, its exit code and both streams: the message of a failed assertion.</summary>
    public override string ToString() => $"`{Command}` exited {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Error}";
}

/// <summary>Runs a real process with its own environment and captures its output.</summary>
public static class Run
{
    /// <summary>
    /// Runs <paramref name="file"/> with <paramref name="arguments"/> in <paramref name="workingDirectory"/>. The
    /// <paramref name="hangGuard"/> only kills a process that never ends (so a hang fails the test instead of CI);
    /// nothing asserts how long a process took.
    /// </summary>
    public static async Task<RunResult> ProcessAsync(
        string file, IEnumerable<string> arguments, string workingDirectory, IReadOnlyDictionary<string, string?> environment, TimeSpan hangGuard)
    {
        var info = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        foreach (var (name, value) in environment)
        {
            if (value is null) info.Environment.Remove(name);
            else info.Environment[name] = value;
        }

        var command = string.Join(' ', [file, .. info.ArgumentList]);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {command}");
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var guard = new CancellationTokenSource(hangGuard);
        try
        {
            await process.WaitForExitAsync(guard.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            return new RunResult(command, -1, await output, await error + $"\n(killed: still running after {hangGuard})");
        }

        return new RunResult(command, process.ExitCode, await output, await error);
    }
}
