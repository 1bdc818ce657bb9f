using System.Text;
using System.Text.Json.Nodes;
using MiniMe.Tools.Approval;
using MiniMe.Tools.Tests.Support;
using MiniMe.Tracing;

namespace MiniMe.Tools.Tests.Processes;

/// <summary>
/// The typed outcome of an executed command (<see cref="ActionOutcome.Command"/>) that callers route
/// on, through the real runner and a real process, and the cut of a stream for the trace.
/// </summary>
public sealed class CommandOutputValueTests
{
    [Fact]
    public async Task An_executed_command_gives_its_exit_code_and_both_streams_as_a_typed_value()
    {
        using var w = new ToolWorkspace();
        w.Write("scripts/check.sh", "echo 'tests: 3 passed'\necho 'error: Greeter_says_hi failed' >&2\nexit 1\n");

        var outcome = await w.RunAsync("run_command", new JsonObject { ["argv"] = new JsonArray("sh", "scripts/check.sh") });

        Assert.Equal(OutcomeStatus.Failed, outcome.Status);
        var command = Assert.IsType<CommandOutput>(outcome.Command);
        Assert.False(command.Succeeded);
        Assert.Equal(1, command.ExitCode);
        Assert.False(command.TimedOut);
        Assert.Equal("tests: 3 passed\n", command.Stdout);
        Assert.Equal("error: Greeter_says_hi failed\n", command.Stderr);
        Assert.False(command.StdoutTruncated || command.StderrTruncated);
        Assert.Equal(16, command.StdoutBytes);
        Assert.True(command.Duration > TimeSpan.Zero);
        var execution = Assert.Single(w.Events(TraceEventTypes.Execution));
        Assert.Equal("error: Greeter_says_hi failed\n", execution.Data["stderr"]!.GetValue<string>());
        Assert.False(execution.Data["stderr_truncated"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Output_beyond_max_output_bytes_is_flagged_per_stream()
    {
        using var w = new ToolWorkspace();   // tools.maxOutputBytes 4096 here
        w.Write("scripts/loud.sh", "i=0\nwhile [ $i -lt 600 ]; do echo 'line of output'; i=$((i+1)); done\necho quiet >&2\n");

        var command = (await w.RunAsync("run_command", new JsonObject { ["argv"] = new JsonArray("sh", "scripts/loud.sh") })).Command!;

        Assert.True(command.Succeeded);
        Assert.True(command.StdoutTruncated);
        Assert.False(command.StderrTruncated);
        Assert.Equal(600 * 15, command.StdoutBytes);
        Assert.Equal(4096, Encoding.UTF8.GetByteCount(command.Stdout));
    }

    [Fact]
    public async Task Other_tools_have_no_command_output()
    {
        using var w = new ToolWorkspace();
        var outcome = await w.RunAsync("write_file", """{"path": "src/new.txt", "content": "x\n"}""");
        Assert.Equal(OutcomeStatus.Succeeded, outcome.Status);
        Assert.Null(outcome.Command);
        Assert.Null(Assert.Single(w.Events(TraceEventTypes.Execution)).Data["stdout"]);
    }

    [Theory]
    [InlineData("short\n", 100, "short\n", false)]
    [InlineData("first line\nsecond\nthird\n", 10, "third\n", true)]
    [InlineData("first line\nsecond\nthird\n", 13, "second\nthird\n", true)]
    [InlineData("aaaa\n", 0, "", true)]
    [InlineData("", 0, "", false)]
    public void Tail_keeps_the_end_cut_at_a_line_start(string text, int maxBytes, string expected, bool cut)
    {
        Assert.Equal((expected, cut), CommandOutput.Tail(text, maxBytes));
    }

    [Fact]
    public void Tail_never_splits_a_character()
    {
        var text = string.Concat(Enumerable.Repeat("é😀", 50));   // 2 + 4 bytes each, no newline
        var (tail, cut) = CommandOutput.Tail(text, 21);
        Assert.True(cut);
        Assert.Equal("é😀é😀é😀", tail);   // 2 + 4 + 2 + 4 + 2 + 4 = 18 bytes; one more 😀 would be 22
        Assert.True(Encoding.UTF8.GetByteCount(tail) <= 21);
    }
}
