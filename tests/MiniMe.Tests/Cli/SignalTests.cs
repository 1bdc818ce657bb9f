using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using MiniMe.Testing;
using MiniMe.Tests.Support;

namespace MiniMe.Tests.Cli;

/// <summary>
/// Ctrl+C (SIGINT) and SIGTERM sent to a real `minime` process with kill(1): the command winds down
/// and exits 130 — an ask ends its trace with run_end "cancelled", an import keeps what it committed,
/// serve stops gracefully — and a second signal quits at once.
/// </summary>
[Trait("Category", "Integration")]
public sealed class SignalTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private LoopbackOpenAiServer _model = null!;

    private string Home => _dir.Combine(".minime");

    public async Task InitializeAsync()
    {
        _model = await LoopbackOpenAiServer.StartAsync();
        Assert.Equal(0, (await MinimeProcess.RunAsync(["init", "--home", Home])).ExitCode);
    }

    public async Task DisposeAsync()
    {
        await _model.DisposeAsync();
        _dir.Dispose();
    }

    private Dictionary<string, string> ModelEnvironment() => new()
    {
        ["MINIME_LLM__PROVIDER"] = "openai",
        ["MINIME_LLM__MODEL"] = "loopback-model",
        ["MINIME_LLM__ENDPOINT"] = _model.BaseUrl.ToString(),
        ["OPENAI_API_KEY"] = "sk-loopback",
    };

    [Theory]
    [InlineData("INT")]
    [InlineData("TERM")]
    public async Task A_signal_during_a_model_call_cancels_the_ask_which_ends_its_trace_with_run_end_cancelled_and_exits_130(string signal)
    {
        _model.Responder = _ => ScriptedReply.Hang();   // the model never answers: the signal arrives mid-call
        await using var ask = RunningMinime.Start(["ask", "plan a retry policy for the payment queue", "--home", Home], ModelEnvironment());
        await _model.WaitForChatRequestsAsync(1, TimeSpan.FromMinutes(2));

        await ask.SignalAsync(signal);

        var exit = await ask.WaitForExitAsync();
        Assert.True(exit == 130, $"exit {exit}\nstdout:\n{ask.Out}\nstderr:\n{ask.Error}");
        Assert.Contains("cancelled", ask.Error, StringComparison.Ordinal);
        var trace = Assert.Single(Directory.GetFiles(Path.Combine(Home, "traces"), "*.jsonl"));
        var last = JsonNode.Parse(File.ReadAllLines(trace).Last(l => l.Length > 0))!;
        Assert.Equal("run_end", last["event_type"]!.GetValue<string>());
        Assert.Equal("cancelled", last["data"]!["status"]!.GetValue<string>());

        var runs = await MinimeProcess.RunAsync(["runs", "--json", "--home", Home]);
        Assert.Equal(0, runs.ExitCode);
        var run = Assert.Single(JsonNode.Parse(runs.Out)!.AsArray());
        Assert.Equal("cancelled", run!["status"]!.GetValue<string>());
        Assert.Equal(Path.GetFileNameWithoutExtension(trace), run["run_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Ctrl_C_during_an_import_keeps_the_committed_batches_exits_130_and_the_next_import_finishes()
    {
        const int files = 8000;
        for (var i = 0; i < files; i++)
            _dir.Write($"corpus/d{i / 100:D2}/f{i:D4}.md", $"# Note {i}\n\n" + string.Join("\n\n", Enumerable.Range(0, 12).Select(p => $"note{i} part {p} about topic{i % 37} and more text on retries, caches, queues and schemas {p * i}")));
        var database = Path.Combine(Home, "memory.db");

        await using (var import = RunningMinime.Start(["import", _dir.Combine("corpus"), "--home", Home, "--no-vectors"]))
        {
            // Wait until at least one batch is committed, then press Ctrl+C.
            await import.WaitUntilAsync(() => MemoryFile.CountDocuments(database) > 0, "the first committed batch");
            await import.SignalAsync("INT");
            var exit = await import.WaitForExitAsync();
            Assert.True(exit == 130, $"exit {exit}\nstdout:\n{import.Out}\nstderr:\n{import.Error}");
            Assert.Contains("cancelled; work finished so far is kept", import.Error, StringComparison.Ordinal);
            Assert.DoesNotContain("Imported", import.Out, StringComparison.Ordinal);   // it stopped before the end
        }

        var partial = MemoryFile.CountDocuments(database);
        Assert.InRange(partial, 1, files - 1);
        Assert.Equal("ok", MemoryFile.Scalar(database, "PRAGMA integrity_check"));
        Assert.Equal(0L, MemoryFile.Scalar(database, "SELECT count(*) FROM documents d WHERE NOT EXISTS (SELECT 1 FROM chunks c WHERE c.document_id = d.id)"));
        Assert.Equal(MemoryFile.Scalar(database, "SELECT count(*) FROM chunks"), MemoryFile.Scalar(database, "SELECT count(*) FROM chunks_fts"));

        var resumed = await MinimeProcess.RunAsync(["import", _dir.Combine("corpus"), "--home", Home, "--no-vectors"]);
        Assert.Equal(0, resumed.ExitCode);
        Assert.Contains($"{partial} unchanged", resumed.Out, StringComparison.Ordinal);   // the committed files are not imported twice
        Assert.Equal((long)files, MemoryFile.CountDocuments(database));
    }

    [Theory]
    [InlineData("TERM")]
    [InlineData("INT")]
    public async Task A_signal_stops_serve_gracefully_with_exit_130(string signal)
    {
        await using var serve = RunningMinime.Start(["serve", "--urls", "http://127.0.0.1:0", "--home", Home]);
        await serve.WaitUntilAsync(() => serve.Out.Contains("Press Ctrl+C to stop.", StringComparison.Ordinal), "the server to start");

        await serve.SignalAsync(signal);

        var exit = await serve.WaitForExitAsync();
        Assert.True(exit == 130, $"exit {exit}\nstdout:\n{serve.Out}\nstderr:\n{serve.Error}");
        Assert.Contains("server stopped", serve.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_second_signal_quits_serve_at_once_while_the_first_waits_for_a_request_in_flight()
    {
        var created = await MinimeProcess.RunAsync(["keys", "create", "signals", "--json", "--home", Home]);
        Assert.Equal(0, created.ExitCode);
        var key = JsonDocument.Parse(created.Out).RootElement.GetProperty("key").GetString()!;
        _model.Responder = _ => ScriptedReply.Hang();
        await using var serve = RunningMinime.Start(["serve", "--urls", "http://127.0.0.1:0", "--home", Home], ModelEnvironment());
        await serve.WaitUntilAsync(() => serve.Out.Contains("Press Ctrl+C to stop.", StringComparison.Ordinal), "the server to start");
        var address = serve.Out.Split(' ', '\n').First(w => w.StartsWith("http://127.0.0.1:", StringComparison.Ordinal));

        // A chat whose model call never ends keeps the graceful stop waiting (for its grace period).
        using var http = new HttpClient { BaseAddress = new Uri(address), Timeout = Timeout.InfiniteTimeSpan };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var content = new StringContent("""{"message":"plan the payment queue retries"}""", Encoding.UTF8, "application/json");
        var chat = http.PostAsync("/v1/chat", content);
        await _model.WaitForChatRequestsAsync(1, TimeSpan.FromMinutes(2));

        await serve.SignalAsync("TERM");
        await serve.WaitUntilAsync(() => serve.Error.Contains("stopping", StringComparison.Ordinal), "the first signal to be taken");
        await serve.SignalAsync("TERM");

        var exit = await serve.WaitForExitAsync();
        Assert.True(exit == 143, $"exit {exit} (143: ended by SIGTERM)\nstdout:\n{serve.Out}\nstderr:\n{serve.Error}");
        Assert.DoesNotContain("server stopped", serve.Error, StringComparison.Ordinal);
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => chat);   // the connection went with the process
    }
}
