using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using System.Text.Json;
using MiniMe.Cli;
using MiniMe.Cli.Hosting;
using MiniMe.Cli.Rendering;
using MiniMe.Server.Conversations;
using MiniMe.Server.Tests.Support;
using MiniMe.Testing;
using MiniMe.Tracing;
using Spectre.Console;

namespace MiniMe.Server.Tests;

/// <summary>
/// `minime chat` in-process (and once as a process) over a real workspace whose config.yaml points the
/// real OpenAI-compatible provider at the loopback model server: the owner's conversations in
/// server.db through the same ChatService and ConversationStore as /v1/chat.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ChatCliTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly string _root = Directory.CreateTempSubdirectory("minime-chat-cli-").FullName;
    private LoopbackOpenAiServer _model = null!;

    private string Home => Path.Combine(_root, ".minime");
    private string TrustFile => Path.Combine(_root, "trust.json");

    public async Task InitializeAsync() => _model = await LoopbackOpenAiServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _model.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private sealed record Run(int Code, string Out, string Error);

    /// <summary>The real command line in-process; <paramref name="input"/> is stdin, a terminal when <paramref name="terminal"/>.</summary>
    private async Task<Run> RunAsync(string[] args, string? input = null, bool terminal = false, Action<CliContext>? started = null)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Interactive = InteractionSupport.No, Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        console.Profile.Width = 200;
        var context = new CliContext(console, error, interactive: false, new StringReader(input ?? ""), inputInteractive: terminal, trustFile: TrustFile);
        started?.Invoke(context);
        var code = await CliApp.RunAsync([.. args, "--home", Home], context);
        return new Run(code, output.ToString(), error.ToString());
    }

    private Task<Run> RunAsync(params string[] args) => RunAsync(args, input: null);

    /// <summary>init, then llm: the loopback model (no retries), embeddings: none (lexical retrieval: no model to load).</summary>
    private async Task InitAsync(bool withModel = true)
    {
        var init = await RunAsync("init", "--name", "nima");
        Assert.True(init.Code == 0, init.Error);
        var config = Path.Combine(Home, "config.yaml");
        var text = File.ReadAllText(config)
            .Replace("  model: minilm          #", "  model: none          #", StringComparison.Ordinal)
            .Replace("  maxRetries: 3 ", "  maxRetries: 0 ", StringComparison.Ordinal);
        if (withModel)
            text = text.Replace("  provider: none         # none (dry runs only)",
                "  provider: openai\n  endpoint: " + _model.BaseUrl + "\n  model: loopback-model\n  apiKeyVariable: MINIME_TEST_UNSET_KEY\n  # none (dry runs only)", StringComparison.Ordinal);
        File.WriteAllText(config, text);
    }

    private static string InDays(int days) => DateOnly.FromDateTime(DateTime.Now).AddDays(days).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>The owner's conversations as the API's store has them.</summary>
    private async Task<T> WithConversationsAsync<T>(Func<ConversationStore, string, T> read)
    {
        await using var engine = Engine.Open(Home);
        return read(engine.Service<ConversationStore>(), engine.Owner.UserId);
    }

    private static JsonElement Json(Run run)
    {
        Assert.True(run.Code == 0, run.Error);
        return JsonDocument.Parse(run.Out).RootElement;
    }

    [Fact]
    public async Task A_message_streams_the_answer_to_stdout_and_names_the_conversation_on_stderr()
    {
        await InitAsync();
        _model.Enqueue(ScriptedReply.Text("Use retries with exponential backoff and jitter."));

        var chat = await RunAsync("chat", "How", "should", "I", "retry?");

        Assert.True(chat.Code == 0, chat.Error);
        Assert.Equal("Use retries with exponential backoff and jitter.\n", chat.Out);
        var request = Assert.Single(_model.ChatRequests);
        Assert.True(request.Streaming);
        Assert.Contains("How should I retry?", request.MessagesText, StringComparison.Ordinal);
        var id = await WithConversationsAsync((store, user) => Assert.Single(store.List(user, 10)).Id);
        Assert.Matches($"^conversation {id} · run \\S+\n$", chat.Error);
    }

    [Fact]
    public async Task Json_prints_the_api_answer_and_conversation_continues_the_same_conversation()
    {
        await InitAsync();
        _model.Enqueue(ScriptedReply.Text("Noted: you like Rust.", promptTokens: 30, completionTokens: 6), ScriptedReply.Text("You like Rust."));

        var first = Json(await RunAsync("chat", "--json", "Remember that I like Rust."));
        var id = first.GetProperty("conversation_id").GetString()!;
        Assert.StartsWith("c_", id, StringComparison.Ordinal);
        Assert.Equal("Noted: you like Rust.", first.GetProperty("answer").GetString());
        Assert.Equal("Noted: you like Rust.", first.GetProperty("message").GetProperty("content").GetString());
        Assert.Equal("assistant", first.GetProperty("message").GetProperty("role").GetString());
        Assert.Equal(first.GetProperty("run_id").GetString(), first.GetProperty("message").GetProperty("run_id").GetString());
        Assert.Equal("loopback-model", first.GetProperty("model").GetString());
        Assert.Equal((30, 6, 36), (first.GetProperty("usage").GetProperty("prompt_tokens").GetInt32(),
            first.GetProperty("usage").GetProperty("completion_tokens").GetInt32(), first.GetProperty("usage").GetProperty("total_tokens").GetInt32()));
        Assert.Equal(JsonValueKind.Array, first.GetProperty("sources").ValueKind);
        Assert.False(_model.ChatRequests[0].Streaming);

        var second = Json(await RunAsync("chat", "--json", "--conversation", id, "What", "do", "I", "like?"));

        Assert.Equal(id, second.GetProperty("conversation_id").GetString());
        Assert.NotEqual(first.GetProperty("run_id").GetString(), second.GetProperty("run_id").GetString());
        var history = _model.ChatRequests[1].MessagesText;
        Assert.Contains("Remember that I like Rust.", history, StringComparison.Ordinal);
        Assert.Contains("Noted: you like Rust.", history, StringComparison.Ordinal);
        var messages = await WithConversationsAsync((store, user) => store.Messages(user, id));
        Assert.Equal(
            [("user", "Remember that I like Rust."), ("assistant", "Noted: you like Rust."), ("user", "What do I like?"), ("assistant", "You like Rust.")],
            messages.Select(m => (m.Role, m.Content)));

        await using (var engine = Engine.Open(Home))
        {
            // Traced like the API's turns: one run per turn, closed as completed with the model's tokens.
            var trace = engine.Traces.Read(second.GetProperty("run_id").GetString()!);
            Assert.Equal(TraceEventTypes.RunEnd, trace[^1].EventType);
            Assert.Equal("completed", trace[^1].Data["status"]!.GetValue<string>());
            Assert.Equal(id, trace[0].Data["conversation_id"]!.GetValue<string>());
        }

        var list = Json(await RunAsync("chat", "--list", "--json"));
        var listed = Assert.Single(list.EnumerateArray());
        Assert.Equal((id, 4), (listed.GetProperty("id").GetString(), listed.GetProperty("message_count").GetInt32()));
    }

    [Fact]
    public async Task A_dash_reads_the_message_from_stdin()
    {
        await InitAsync();
        _model.Enqueue(ScriptedReply.Text("It is a multi-line question."));

        var chat = await RunAsync(["chat", "-"], input: "What is this\nmulti-line question?\n");

        Assert.True(chat.Code == 0, chat.Error);
        Assert.Equal("It is a multi-line question.\n", chat.Out);
        Assert.Contains("What is this\nmulti-line question?", Assert.Single(_model.ChatRequests).MessagesText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_conversation_exits_1_and_an_empty_or_missing_message_exits_2_with_one_line()
    {
        await InitAsync();

        var unknown = await RunAsync("chat", "--conversation", "c_0000000000000000", "hello");
        Assert.Equal(1, unknown.Code);
        Assert.Equal("error: No conversation 'c_0000000000000000'; `minime chat --list` shows yours.", unknown.Error.Trim());

        var blank = await RunAsync("chat", "   ");
        Assert.Equal(2, blank.Code);
        Assert.Equal("error: The message is empty; pass it as arguments, or `-` to read it from stdin.", blank.Error.Trim());
        var emptyStdin = await RunAsync(["chat", "-"], input: "\n  \n");
        Assert.Equal(2, emptyStdin.Code);
        Assert.Equal("error: The message read from stdin is empty.", emptyStdin.Error.Trim());

        var noMessage = await RunAsync("chat");
        Assert.Equal(2, noMessage.Code);
        Assert.Contains("pass the message as arguments, or `-` to read it from stdin", noMessage.Error, StringComparison.Ordinal);
        Assert.Single(noMessage.Error.Trim().Split('\n'));
        Assert.Empty(_model.ChatRequests);
    }

    [Fact]
    public async Task Without_a_model_chat_exits_1_and_says_how_to_configure_one()
    {
        await InitAsync(withModel: false);

        var oneShot = await RunAsync("chat", "hello");
        var repl = await RunAsync(["chat"], input: "hello\n", terminal: true);

        foreach (var run in new[] { oneShot, repl })
        {
            Assert.Equal(1, run.Code);
            var line = Assert.Single(run.Error.Trim().Split('\n'));
            Assert.StartsWith("error: No chat model is configured (llm.provider is none): set llm.provider", line, StringComparison.Ordinal);
            Assert.Contains("`minime doctor` checks the setup", line, StringComparison.Ordinal);
        }
        Assert.Empty(await WithConversationsAsync((store, user) => store.List(user, 10)));
    }

    [Fact]
    public async Task The_repl_shows_alerts_answers_in_markdown_and_runs_its_slash_commands()
    {
        await InitAsync();
        Assert.Equal(0, (await RunAsync("remember", "prefers tabs over spaces", "--category", "preference")).Code);
        Assert.Equal(0, (await RunAsync("goals", "add", "Ship", "v2", "--deadline", InDays(2))).Code);
        _model.Enqueue(ScriptedReply.Text("# Plan\n\nUse **helm** and `kubectl`:\n\n- first\n```bash\nhelm upgrade\n```\nDone."));

        var repl = await RunAsync(["chat"], terminal: true, input: string.Join('\n', "/help", "/bogus", "/facts", "/goals", "How do I deploy?", "/list", "/quit", "never sent"));

        Assert.True(repl.Code == 0, repl.Error);
        var output = repl.Out;
        var alert = output.IndexOf($"Due soon: \"Ship v2\" is due in 2 days ({InDays(2)}), 0% done.", StringComparison.Ordinal);
        Assert.True(alert >= 0 && alert < output.IndexOf("/new", StringComparison.Ordinal), output);   // the alert comes before the help
        Assert.Contains("/open ID", output, StringComparison.Ordinal);
        Assert.Contains("error: Unknown command '/bogus'; /help lists the commands.", repl.Error, StringComparison.Ordinal);
        Assert.Contains("prefers tabs over spaces", output, StringComparison.Ordinal);
        Assert.Contains("Ship v2", output[(alert + 10)..], StringComparison.Ordinal);   // the /goals table
        Assert.Contains("Plan\n", output, StringComparison.Ordinal);
        Assert.Contains("Use helm and kubectl:", output, StringComparison.Ordinal);
        Assert.Contains("• first\nhelm upgrade\nDone.", output, StringComparison.Ordinal);
        Assert.DoesNotContain("**", output, StringComparison.Ordinal);
        Assert.DoesNotContain("```", output, StringComparison.Ordinal);
        Assert.DoesNotContain("# Plan", output, StringComparison.Ordinal);
        var conversation = await WithConversationsAsync((store, user) => Assert.Single(store.List(user, 10)));
        Assert.Contains($"new conversation {conversation.Id}", output, StringComparison.Ordinal);
        Assert.Matches(@"\d+ sources? · \d+ \+ \d+ tokens( \(estimated\))? · run \S+", output);
        Assert.Contains($"{conversation.Id} *", output, StringComparison.Ordinal);   // /list marks the current conversation
        Assert.Contains("How do I deploy?", output[output.LastIndexOf(conversation.Id, StringComparison.Ordinal)..], StringComparison.Ordinal);
        Assert.Single(_model.ChatRequests);   // nothing after /quit was sent
        Assert.Equal(2, conversation.MessageCount);
    }

    [Fact]
    public async Task Open_shows_the_stored_summary_and_the_last_messages_and_new_starts_another_conversation()
    {
        await InitAsync();
        _model.Enqueue(ScriptedReply.Text("Helm, with charts in deploy/."), ScriptedReply.Text("A second answer."), ScriptedReply.Text("Rust, you said."));
        var first = Json(await RunAsync("chat", "--json", "How do we deploy?"));
        var id = first.GetProperty("conversation_id").GetString()!;
        var through = await WithConversationsAsync((store, user) =>
        {
            var messages = store.Messages(user, id);
            Assert.True(store.SetSummary(user, id, "The user asked how deploys work; they use helm.", messages[^1].Id));
            return messages[^1].Id;
        });

        var repl = await RunAsync(["chat"], terminal: true, input: string.Join('\n',
            "/open c_0000000000000000", "/open " + id, "And rollbacks?", "/new", "What do I like?", "/open"));

        Assert.True(repl.Code == 0, repl.Error);   // the end of input quits
        var output = repl.Out;
        Assert.Contains("error: No conversation 'c_0000000000000000'; /list shows yours.", repl.Error, StringComparison.Ordinal);
        Assert.Contains("error: /open needs a conversation id", repl.Error, StringComparison.Ordinal);
        Assert.Contains($"Opened How do we deploy? ({id}, 2 messages)", output, StringComparison.Ordinal);
        Assert.Contains($"Summary (messages up to #{through}): The user asked how deploys work; they use helm.", output, StringComparison.Ordinal);
        Assert.Contains("you: How do we deploy?\nminime: Helm, with charts in deploy/.", output, StringComparison.Ordinal);
        Assert.Contains("The user asked how deploys work", _model.ChatRequests[1].MessagesText, StringComparison.Ordinal);   // the turn after /open continues it
        Assert.DoesNotContain("The user asked how deploys work", _model.ChatRequests[2].MessagesText, StringComparison.Ordinal);

        var conversations = await WithConversationsAsync((store, user) => store.List(user, 10));
        Assert.Equal(2, conversations.Count);
        Assert.Equal(4, conversations.Single(c => c.Id == id).MessageCount);
        Assert.Equal(("What do I like?", 2), conversations.Where(c => c.Id != id).Select(c => (c.Title, c.MessageCount)).Single());

        var resumed = await RunAsync(["chat", "--conversation", id], terminal: true, input: "/quit\n");
        Assert.True(resumed.Code == 0, resumed.Error);
        Assert.Contains($"Opened How do we deploy? ({id}, 4 messages)", resumed.Out, StringComparison.Ordinal);
        Assert.Contains("you: And rollbacks?", resumed.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failed_turn_prints_one_line_and_the_repl_goes_on()
    {
        await InitAsync();
        _model.Enqueue(ScriptedReply.Error(HttpStatusCode.InternalServerError), ScriptedReply.Text("Back again."));

        var repl = await RunAsync(["chat"], terminal: true, input: "First try\nSecond try\n/quit\n");

        Assert.True(repl.Code == 0, repl.Error);
        var errors = repl.Error.Trim().Split('\n');
        var failure = Assert.Single(errors);
        Assert.StartsWith("error: ", failure, StringComparison.Ordinal);
        Assert.Contains("Back again.", repl.Out, StringComparison.Ordinal);
        Assert.Equal(2, _model.ChatRequests.Count);
    }

    [Fact]
    public async Task Ctrl_c_while_an_answer_streams_stops_that_answer_and_the_repl_goes_on()
    {
        await InitAsync();
        var never = new TaskCompletionSource();
        _model.Enqueue(new ScriptedReply { Content = "This answer never arrives.", Until = never.Task }, ScriptedReply.Text("The next answer."));
        var error = new StringWriter();
        TerminationSignals? signals = null;

        var running = RunAsync(["chat"], terminal: true, input: "A long question\nA short one\n/quit\n",
            started: context => signals = TerminationSignals.Unregistered(error, context.Interrupts));
        await _model.WaitForChatRequestsAsync(1, Patience);
        var interrupt = new PosixSignalContext(PosixSignal.SIGINT);
        signals!.Handle(interrupt);
        var repl = await running.WaitAsync(Patience);

        Assert.True(interrupt.Cancel);
        Assert.False(signals.Token.IsCancellationRequested);   // the command was not cancelled
        Assert.True(repl.Code == 0, repl.Error);
        Assert.Contains("stopped (the partial answer is not kept", repl.Out, StringComparison.Ordinal);
        Assert.Contains("The next answer.", repl.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("This answer never arrives", repl.Out, StringComparison.Ordinal);
        var conversation = await WithConversationsAsync((store, user) => store.Messages(user, Assert.Single(store.List(user, 10)).Id));
        Assert.Equal([("user", "A long question"), ("user", "A short one"), ("assistant", "The next answer.")], conversation.Select(m => (m.Role, m.Content)));
        signals.Dispose();
    }

    [Fact]
    public void A_claimed_ctrl_c_cancels_only_the_claim_and_the_next_one_cancels_the_command()
    {
        var error = new StringWriter();
        var interrupts = new Interrupts();
        using var signals = TerminationSignals.Unregistered(error, interrupts);
        using var command = new CancellationTokenSource();

        var claim = interrupts.Claim(command.Token);
        var first = new PosixSignalContext(PosixSignal.SIGINT);
        signals.Handle(first);

        Assert.True(first.Cancel);
        Assert.True(claim.Token.IsCancellationRequested);
        Assert.True(claim.Interrupted);
        Assert.False(interrupts.Claimed);   // one Ctrl+C per claim
        Assert.False(signals.Token.IsCancellationRequested);
        Assert.Null(signals.Signal);
        Assert.Empty(error.ToString());
        claim.Dispose();

        var second = new PosixSignalContext(PosixSignal.SIGINT);
        signals.Handle(second);
        Assert.True(second.Cancel);
        Assert.True(signals.Token.IsCancellationRequested);
        Assert.Equal(PosixSignal.SIGINT, signals.Signal);
    }

    [Fact]
    public void Sigterm_and_a_released_claim_leave_ctrl_c_to_the_command()
    {
        var interrupts = new Interrupts();
        using var command = new CancellationTokenSource();
        using (var released = interrupts.Claim(command.Token))
        {
            Assert.True(interrupts.Claimed);
        }
        Assert.False(interrupts.Claimed);
        using (var signals = TerminationSignals.Unregistered(null, interrupts))
        {
            signals.Handle(new PosixSignalContext(PosixSignal.SIGINT));
            Assert.True(signals.Token.IsCancellationRequested);
        }

        using var held = interrupts.Claim(command.Token);
        using var terminated = TerminationSignals.Unregistered(null, interrupts);
        terminated.Handle(new PosixSignalContext(PosixSignal.SIGTERM));
        Assert.True(terminated.Token.IsCancellationRequested);
        Assert.False(held.Token.IsCancellationRequested);
        Assert.True(interrupts.Claimed);

        command.Cancel();   // the command's own cancellation reaches the claim
        Assert.True(held.Token.IsCancellationRequested);
        Assert.False(held.Interrupted);
    }

    [Fact]
    public void Markdown_renders_the_same_whatever_the_chunks()
    {
        const string answer = "## Steps\n1. **Build** it\n* run `make test`\n```\nif (x) { y(); }\n  indented\n```\nA lone * star and 2*3.";
        string Render(IEnumerable<string> chunks)
        {
            var output = new StringWriter();
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Interactive = InteractionSupport.No, Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
            console.Profile.Width = 200;
            var markdown = new MarkdownStream(console);
            foreach (var chunk in chunks) markdown.Append(chunk);
            markdown.Finish();
            return output.ToString();
        }

        var whole = Render([answer]);
        Assert.Equal("Steps\n1. Build it\n• run make test\nif (x) { y(); }\n  indented\nA lone * star and 2*3.\n", whole);
        Assert.Equal(whole, Render(answer.Select(c => c.ToString())));
        Assert.Equal(whole, Render(answer.Chunk(5).Select(c => new string(c))));
    }

    [Fact]
    public async Task The_built_cli_as_a_process_answers_one_message_from_the_loopback_model()
    {
        _model.Enqueue(ScriptedReply.Text("Hello from the loopback model."));
        var environment = new Dictionary<string, string>
        {
            ["MINIME_TRUST_FILE"] = TrustFile,
            ["MINIME_EMBEDDINGS__MODEL"] = "none",
            ["MINIME_LLM__PROVIDER"] = "openai",
            ["MINIME_LLM__MODEL"] = "loopback-model",
            ["MINIME_LLM__ENDPOINT"] = _model.BaseUrl.ToString(),
            ["MINIME_LLM__MAXRETRIES"] = "0",
            ["OPENAI_API_KEY"] = "sk-loopback",
        };
        await ServeProcess.RunAsync(["init", "--home", Home, "--name", "nima"], environment);

        var answer = await ServeProcess.RunAsync(["chat", "--home", Home, "Say", "hello"], environment);

        Assert.Equal("Hello from the loopback model.\n", answer);
        Assert.Contains("Say hello", Assert.Single(_model.ChatRequests).MessagesText, StringComparison.Ordinal);
        var id = Json(await RunAsync("chat", "--list", "--json"))[0].GetProperty("id").GetString()!;
        Assert.Equal(2, (await WithConversationsAsync((store, user) => store.Messages(user, id))).Count);
    }
}
