using System.Globalization;
using System.Text;
using MiniMe.Tools;
using Spectre.Console;

namespace MiniMe.Cli.Approval;

/// <summary>
/// How an executed command is shown on the terminal after its outcome line: exit code and duration,
/// then the last <see cref="MaxLines"/> lines of stdout and of stderr (stderr in red), with how many
/// lines are above and where the rest is, and a notice when tools.maxOutputBytes dropped some.
/// </summary>
internal static class CommandOutputRenderer
{
    /// <summary>Lines of each stream shown at most; the trace keeps more (tools.traceOutputBytes).</summary>
    public const int MaxLines = 40;

    /// <param name="runId">The run whose trace holds the output, for the "full output" hint; null: no hint.</param>
    /// <param name="traceOutputBytes">tools.traceOutputBytes: how much of each stream the trace kept.</param>
    public static void Render(IAnsiConsole console, CommandOutput command, string? runId, int traceOutputBytes)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(command);
        var ended = command.TimedOut ? "killed at the timeout" : $"exit {command.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "?"}";
        var colour = command.Succeeded ? "green" : "red";
        console.MarkupLine($"  [{colour}]{Markup.Escape(ended)}[/] [grey]· {Markup.Escape(Seconds(command.Duration))} · stdout {Size(command.StdoutBytes)} · stderr {Size(command.StderrBytes)}[/]");
        Stream(console, "stdout", command.Stdout, command.StdoutTruncated, command.StdoutBytes, runId, traceOutputBytes, style: null);
        Stream(console, "stderr", command.Stderr, command.StderrTruncated, command.StderrBytes, runId, traceOutputBytes, style: "red");
    }

    private static void Stream(IAnsiConsole console, string name, string text, bool capped, long totalBytes, string? runId, int traceOutputBytes, string? style)
    {
        if (text.Length == 0 && !capped) return;
        var lines = text.TrimEnd('\n').Split('\n');
        var above = Math.Max(0, lines.Length - MaxLines);
        console.MarkupLine($"  [grey]── {name} ──[/]");
        if (above > 0)
        {
            var where = runId is null ? ""
                : Encoding.UTF8.GetByteCount(text) <= traceOutputBytes ? $", full output in the trace: minime trace {runId}"
                : $"; the trace keeps the last {Size(traceOutputBytes)}: minime trace {runId}";
            console.MarkupLine($"  [grey]… {above} line{(above == 1 ? "" : "s")} above{Markup.Escape(where)}[/]");
        }
        foreach (var line in lines.Skip(above))
        {
            var shown = Markup.Escape(line.TrimEnd('\r'));
            console.MarkupLine(style is null ? $"  {shown}" : $"  [{style}]{shown}[/]");
        }
        if (capped)
            console.MarkupLine($"  [yellow]! {name} capped at tools.maxOutputBytes: {Size(Encoding.UTF8.GetByteCount(text))} kept of {Size(totalBytes)} printed[/]");
    }

    private static string Seconds(TimeSpan duration) =>
        duration.TotalSeconds < 10
            ? string.Create(CultureInfo.InvariantCulture, $"{duration.TotalSeconds:0.00} s")
            : string.Create(CultureInfo.InvariantCulture, $"{duration.TotalSeconds:0.0} s");

    private static string Size(long bytes) =>
        bytes < 1024 ? string.Create(CultureInfo.InvariantCulture, $"{bytes} B")
        : bytes < 1024 * 1024 ? string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.#} KB")
        : string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0.#} MB");
}
