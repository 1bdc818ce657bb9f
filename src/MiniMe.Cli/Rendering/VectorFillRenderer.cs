using MiniMe.Cli.Hosting;
using MiniMe.Memory.Vectors;
using Spectre.Console;

namespace MiniMe.Cli.Rendering;

/// <summary>
/// Runs a vector fill with progress: a bar with the time left on a terminal, a line per 10% on
/// stderr otherwise. Each page is committed as it is embedded, so Ctrl-C keeps what was done and
/// the next import, `minime index fill` or `minime serve` carries on.
/// </summary>
internal static class VectorFillRenderer
{
    public static async Task<(long Done, TimeSpan Elapsed)> RunAsync(CliContext context, VectorBackfill fill, CancellationToken cancellationToken)
    {
        var pending = await fill.PendingAsync(cancellationToken).ConfigureAwait(false);
        if (pending == 0) return (0, TimeSpan.Zero);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long done = 0;
        try
        {
            if (context.Interactive)
            {
                await context.Console.Progress()
                    .AutoClear(true)
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                    .StartAsync(async progressContext =>
                    {
                        var task = progressContext.AddTask($"Embedding {pending:N0} chunk texts", maxValue: pending);
                        done = await fill.FillAsync(new Inline(p =>
                        {
                            task.MaxValue = p.Total;
                            task.Value = p.Done;
                            task.Description = $"Embedding chunk texts ({p.Done:N0}/{p.Total:N0})";
                        }), cancellationToken).ConfigureAwait(false);
                    }).ConfigureAwait(false);
            }
            else
            {
                var lastDecile = 0;
                context.Error.WriteLine($"embedding {pending:N0} chunk texts with {fill.Model} (search is lexical for them until this finishes)");
                done = await fill.FillAsync(new Inline(p =>
                {
                    var decile = (int)(p.Done * 10 / Math.Max(1, p.Total));
                    if (decile <= lastDecile || decile >= 10) return;
                    lastDecile = decile;
                    var left = p.Remaining is { } r ? $", about {r.TotalSeconds:0} s left" : "";
                    context.Error.WriteLine($"embedded {p.Done:N0}/{p.Total:N0} ({decile * 10}%){left}");
                }), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            var left = await fill.PendingAsync(CancellationToken.None).ConfigureAwait(false);
            context.Error.WriteLine($"stopped embedding: {left:N0} chunk texts still lack vectors (search is lexical for them); `minime index fill` or the next import carries on");
            throw;
        }
        return (done, clock.Elapsed);
    }

    /// <summary>"Embedded 1,024 chunk texts with minilm-… (12.3s, 83.2/s)".</summary>
    public static string Summary(string model, long done, TimeSpan elapsed) =>
        $"Embedded {done:N0} chunk texts with {model} ({elapsed.TotalSeconds:0.0}s, {done / Math.Max(elapsed.TotalSeconds, 1e-3):0.0}/s)";

    public static string AllEmbedded(string model) => $"{model}: every chunk text has a vector";

    private sealed class Inline(Action<VectorFillProgress> handler) : IProgress<VectorFillProgress>
    {
        public void Report(VectorFillProgress value) => handler(value);
    }
}
