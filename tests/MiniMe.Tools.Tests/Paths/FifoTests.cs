using System.Text.Json.Nodes;
using MiniMe.Tools.Approval;
using MiniMe.Tools.Paths;
using MiniMe.Tools.Tests.Support;
using MiniMe.Tracing;

namespace MiniMe.Tools.Tests.Paths;

/// <summary>
/// A FIFO in the root (mkfifo) with no writer: opening it for reading the ordinary way blocks forever.
/// Every tool call runs on its own task under a 60-second guard, so a regression fails the test
/// instead of hanging the run; a reader left stuck by a regression is released by opening the write end.
/// </summary>
public sealed class FifoTests : IDisposable
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);
    private readonly ToolWorkspace _w = new();

    public FifoTests() => LinuxFiles.MakeFifo(_w.PathOf("src/pipe"));

    public void Dispose() => _w.Dispose();

    [Fact]
    public async Task Read_file_refuses_a_fifo_without_waiting_for_a_writer()
    {
        var outcome = await RunGuarded("read_file", new JsonObject { ["path"] = "src/pipe" });

        Assert.Equal(OutcomeStatus.Refused, outcome.Status);
        Assert.Equal("refused: 'src/pipe' is not a regular file (a FIFO, socket or device); tools only open regular files.", outcome.Message);
        Assert.Empty(_w.Events(TraceEventTypes.Approval));
    }

    [Fact]
    public async Task Search_repo_skips_a_fifo_and_counts_it()
    {
        _w.Write("src/lib/found.cs", "// needle\n");
        var outcome = await RunGuarded("search_repo", new JsonObject { ["query"] = "needle" });

        Assert.Equal(OutcomeStatus.Succeeded, outcome.Status);
        Assert.Equal(["src/lib/found.cs"], outcome.Execution!.Output["matches"]!.AsArray().Select(m => m!["path"]!.GetValue<string>()));
        Assert.Equal(1, outcome.Execution.Output["skippedSpecial"]!.GetValue<int>());
        Assert.Contains("skipped 1 FIFO, socket or device", outcome.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Write_file_refuses_to_replace_a_fifo()
    {
        var outcome = await RunGuarded("write_file", new JsonObject { ["path"] = "src/pipe", ["content"] = "x\n" });

        Assert.Equal(OutcomeStatus.Refused, outcome.Status);
        Assert.Contains("is not a regular file", outcome.Message, StringComparison.Ordinal);
        using var src = new ConfinedFiles(_w.Host.Root).OpenDirectory("src")!;
        Assert.Equal(EntryKind.Special, src.Stat("pipe")!.Value.Kind);
        Assert.Empty(Directory.GetFiles(_w.PathOf("src"), "*.tmp"));
    }

    private async Task<ActionOutcome> RunGuarded(string tool, JsonObject arguments)
    {
        var run = Task.Run(() => _w.RunAsync(tool, arguments));
        try
        {
            return await run.WaitAsync(HangGuard);
        }
        catch (TimeoutException)
        {
            using (new FileStream(_w.PathOf("src/pipe"), FileMode.Open, FileAccess.Write)) { }   // let the stuck reader see end of file
            throw new Xunit.Sdk.XunitException($"{tool} on a FIFO did not return within {HangGuard.TotalSeconds} s: it blocked opening or reading the FIFO.");
        }
    }
}
