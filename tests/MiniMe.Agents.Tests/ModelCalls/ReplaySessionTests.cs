using Microsoft.Extensions.AI;
using MiniMe.ModelCalls;
using MiniMe.Replay;
using MiniMe.Testing;
using MiniMe.Tracing;

namespace MiniMe.Agents.Tests.ModelCalls;

/// <summary>The recording decorator in the model pipeline and the replaying client answering from what it recorded.</summary>
public sealed class ReplaySessionTests : IDisposable
{
    private const string RunId = "20260101-000000-replay";

    private readonly TempDirectory _directory = new();
    private readonly TraceStore _traces;

    public ReplaySessionTests() =>
        _traces = new TraceStore(Path.Combine(_directory.Path, "traces")) { Recordings = new ModelCallRecordings(Path.Combine(_directory.Path, "runs")) };

    public void Dispose() => _directory.Dispose();

    private static ChatMessage[] Prompt(string question) => [new(ChatRole.System, "You are terse."), new(ChatRole.User, question)];

    private static readonly ChatOptions Options = new() { Temperature = 0.2f, ResponseFormat = ChatResponseFormat.Json };

    private async Task<string> AskAsync(IChatClient client, string agent, string question, bool streaming)
    {
        using var call = ModelCall.Begin(new ModelCallInfo(RunId, agent, Traces: _traces));
        if (!streaming) return (await client.GetResponseAsync(Prompt(question), Options)).Text;
        var text = "";
        await foreach (var update in client.GetStreamingResponseAsync(Prompt(question), Options)) text += update.Text;
        return text;
    }

    private async Task RecordAsync()
    {
        var model = new ScriptedChatClient(ScriptedReply.Text("first"), ScriptedReply.Text("second"), ScriptedReply.Text("third"));
        var pipeline = ModelPipeline.Build(model, MiniMe.ModelCalls.PriceTable.Empty, TeamHarness.Tokens);
        Assert.Equal("first", await AskAsync(pipeline, "architect", "Say hello.", streaming: false));
        Assert.Equal("second", await AskAsync(pipeline, "architect", "Say hello.", streaming: true));
        Assert.Equal("third", await AskAsync(pipeline, "critic", "Review the greeting.", streaming: false));
    }

    private IChatClient Replaying(ReplaySession session) =>
        ModelPipeline.Build(session.ClientFor("default"), MiniMe.ModelCalls.PriceTable.Empty, TeamHarness.Tokens);

    [Fact]
    public async Task Identical_requests_are_answered_in_their_recorded_order_whole_or_streamed()
    {
        await RecordAsync();
        var recorded = _traces.Recordings!.Load(RunId);
        Assert.Equal([0, 1, 2], recorded.Select(c => c.Index));
        Assert.Equal(recorded[0].Hash, recorded[1].Hash);
        Assert.NotEqual(recorded[0].Hash, recorded[2].Hash);
        Assert.True(recorded[1].Streamed);
        var session = new ReplaySession(recorded);
        var replay = Replaying(session);

        Assert.Equal("first", await AskAsync(replay, "architect", "Say hello.", streaming: true));
        Assert.Equal("second", await AskAsync(replay, "architect", "Say hello.", streaming: false));
        Assert.Equal("third", await AskAsync(replay, "critic", "Review the greeting.", streaming: false));
        Assert.Null(session.Mismatch);
        Assert.Equal((3, 0), (session.Made, session.Unused));
    }

    [Fact]
    public async Task A_changed_request_stops_with_the_call_the_agent_and_where_the_text_changed()
    {
        await RecordAsync();
        var session = new ReplaySession(_traces.Recordings!.Load(RunId));
        var replay = Replaying(session);
        Assert.Equal("first", await AskAsync(replay, "architect", "Say hello.", streaming: false));

        var error = await Assert.ThrowsAsync<ReplayMismatchException>(() => AskAsync(replay, "critic", "Review the farewell.", streaming: false));

        Assert.Equal(1, error.Mismatch.Call);
        Assert.Equal(("critic", 2), (error.Mismatch.Agent, error.Mismatch.Recorded!.Index));
        Assert.Equal(["message 1 (user): at char 11: «Review the greeting.» -> «Review the farewell.»"], error.Mismatch.Changes);
        Assert.Equal("model call 1 (critic, round 0) changed from recorded call 2 (critic): message 1 (user): at char 11: «Review the greeting.» -> «Review the farewell.»",
            error.Mismatch.Describe());
        // Once stopped, the replay answers nothing more, not even a request that was recorded.
        await Assert.ThrowsAsync<ReplayMismatchException>(() => AskAsync(replay, "architect", "Say hello.", streaming: false));
    }

    [Fact]
    public async Task A_changed_option_is_named_with_its_old_and_new_value()
    {
        await RecordAsync();
        var session = new ReplaySession(_traces.Recordings!.Load(RunId));
        var replay = Replaying(session);
        using var call = ModelCall.Begin(new ModelCallInfo(RunId, "architect", Traces: _traces));

        var error = await Assert.ThrowsAsync<ReplayMismatchException>(() => replay.GetResponseAsync(Prompt("Say hello."), new ChatOptions { Temperature = 0.9f, ResponseFormat = ChatResponseFormat.Json }));

        Assert.Equal(["temperature: 0.2 -> 0.9"], error.Mismatch.Changes);
    }
}
