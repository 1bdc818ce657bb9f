using System.Text;
using MiniMe.Tracing;

namespace MiniMe.Tools;

/// <summary>
/// What an executed <c>run_command</c> printed and how it ended, as a typed value for callers that
/// route on it (the CLI and the API show it, the trace keeps it, a workflow node or an agent can
/// branch on <see cref="Succeeded"/> and hand <see cref="Stdout"/>/<see cref="Stderr"/> to a revision).
/// Reached through <see cref="Approval.ActionOutcome.Command"/> (or <see cref="ToolExecution.Command"/>);
/// null for every other tool and for a command that never started.
/// </summary>
/// <param name="ExitCode">The process's exit code; null when it was killed at the timeout or on cancellation.</param>
/// <param name="TimedOut">Killed (with everything it started) after the command's timeout.</param>
/// <param name="Stdout">Standard output as kept: at most tools.maxOutputBytes, with secrets masked once it has passed the tool runner.</param>
/// <param name="Stderr">Standard error, kept and masked as <see cref="Stdout"/>.</param>
/// <param name="StdoutTruncated">More than tools.maxOutputBytes was printed on stdout; the rest was counted and dropped.</param>
/// <param name="StderrTruncated">The same for stderr.</param>
/// <param name="StdoutBytes">How many bytes the command printed on stdout in all (kept or not).</param>
/// <param name="StderrBytes">How many bytes it printed on stderr in all.</param>
/// <param name="Duration">From start to exit (or kill).</param>
public sealed record CommandOutput(
    int? ExitCode,
    bool TimedOut,
    string Stdout,
    string Stderr,
    bool StdoutTruncated,
    bool StderrTruncated,
    long StdoutBytes,
    long StderrBytes,
    TimeSpan Duration)
{
    /// <summary>Exited on its own with 0.</summary>
    public bool Succeeded => ExitCode == 0 && !TimedOut;

    /// <summary>The same output with every secret the trace redactor knows masked in both streams.</summary>
    public CommandOutput Redacted() => this with { Stdout = SecretRedactor.RedactText(Stdout), Stderr = SecretRedactor.RedactText(Stderr) };

    /// <summary>
    /// The end of <paramref name="text"/> that fits in <paramref name="maxBytes"/> UTF-8 bytes (the end
    /// of a build or test log says what failed), cut at a line start when one is near, never inside a
    /// character; <c>Cut</c> says whether anything was dropped.
    /// </summary>
    public static (string Text, bool Cut) Tail(string text, int maxBytes)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        if (Encoding.UTF8.GetByteCount(text) <= maxBytes) return (text, false);
        var start = text.Length;
        var bytes = 0;
        while (start > 0)
        {
            var width = char.IsLowSurrogate(text[start - 1]) && start > 1 && char.IsHighSurrogate(text[start - 2]) ? 2 : 1;
            var size = Encoding.UTF8.GetByteCount(text.AsSpan(start - width, width));
            if (bytes + size > maxBytes) break;
            bytes += size;
            start -= width;
        }
        var tail = text[start..];
        if (start > 0 && text[start - 1] == '\n') return (tail, true);   // the cut fell on a line start
        var newline = tail.IndexOf('\n', StringComparison.Ordinal);
        if (newline >= 0 && newline < 200 && newline + 1 < tail.Length) tail = tail[(newline + 1)..];
        return (tail, true);
    }
}
