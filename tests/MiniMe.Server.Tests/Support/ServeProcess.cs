using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace MiniMe.Server.Tests.Support;

/// <summary>
/// The built `minime` as a real child process (argument vector, no shell): one-shot commands with
/// <see cref="RunAsync"/>, and `minime serve` with <see cref="StartServeAsync"/>, which waits for the
/// address the server prints and is killed with its tree when disposed.
/// </summary>
public sealed partial class ServeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServeProcess(Process process) => _process = process;

    public Uri BaseAddress { get; private set; } = null!;

    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    private static ProcessStartInfo StartInfo(IEnumerable<string> args, IReadOnlyDictionary<string, string> environment)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "minime.dll"));
        foreach (var arg in args) info.ArgumentList.Add(arg);
        info.Environment.Remove("MINIME_HOME");
        foreach (var (key, value) in environment) info.Environment[key] = value;
        return info;
    }

    /// <summary>Runs one command to its end; fails the test with its output when it exits non-zero.</summary>
    public static async Task<string> RunAsync(IEnumerable<string> args, IReadOnlyDictionary<string, string> environment)
    {
        var list = args.ToList();
        using var process = Process.Start(StartInfo(list, environment))!;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"minime {string.Join(' ', list)} exited {process.ExitCode}:\n{await output}\n{await error}");
        return await output;
    }

    /// <summary>Runs one command to its end, whatever its exit code: the code, stdout and stderr.</summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunToExitAsync(IEnumerable<string> args, IReadOnlyDictionary<string, string> environment)
    {
        using var process = Process.Start(StartInfo(args, environment))!;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"minime {string.Join(' ', args)} did not exit within 3 minutes");
        }
        return (process.ExitCode, await output, await error);
    }

    /// <summary>Starts `minime serve` on a port the OS picks (or <paramref name="urls"/>) and returns once it prints where it listens.</summary>
    public static async Task<ServeProcess> StartServeAsync(string home, IReadOnlyDictionary<string, string> environment, string urls = "http://127.0.0.1:0", params string[] extra)
    {
        var process = new Process { StartInfo = StartInfo(["serve", "--home", home, "--urls", urls, .. extra], environment) };
        var serve = new ServeProcess(process);
        var address = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Collect(string? line)
        {
            if (line is null) return;
            lock (serve._output) serve._output.Append(line).Append('\n');
            if (line.Contains("is serving", StringComparison.Ordinal) && Listening().Match(line) is { Success: true } match) address.TrySetResult(new Uri(match.Value));
        }
        process.OutputDataReceived += (_, e) => Collect(e.Data);
        process.ErrorDataReceived += (_, e) => Collect(e.Data);
        process.Exited += (_, _) => address.TrySetException(new InvalidOperationException("minime serve exited before listening"));
        process.EnableRaisingEvents = true;
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            serve.BaseAddress = await address.Task.WaitAsync(TimeSpan.FromMinutes(2));
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            var output = serve.Output;
            await serve.DisposeAsync();
            Assert.Fail($"minime serve did not start ({e.Message}):\n{output}");
        }
        return serve;
    }

    /// <summary>Waits until the server has printed <paramref name="text"/> (stdout or stderr); fails the test with the output otherwise.</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        using var waiting = new CancellationTokenSource(timeout);
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (_process.HasExited) Assert.Fail($"minime serve exited before printing '{text}':\n{Output}");
            try
            {
                await Task.Delay(50, waiting.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"minime serve did not print '{text}' within {timeout.TotalSeconds:0} s:\n{Output}");
            }
        }
    }

    [GeneratedRegex(@"https?://127\.0\.0\.1:[0-9]+(?=/|\s|$)")]
    private static partial Regex Listening();

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
