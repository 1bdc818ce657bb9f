using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using MiniMe.Cli.Hosting;
using MiniMe.Server;
using MiniMe.Server.Chat;
using MiniMe.Server.Conversations;
using Spectre.Console;

namespace MiniMe.Cli.Commands;

/// <summary>
/// `minime chat`: the owner's conversations through the same <see cref="ChatService"/> and
/// <see cref="ConversationStore"/> as /v1/chat, so a conversation started here continues in the web UI
/// and the other way round (same history, summaries, facts and traces). With MESSAGE one turn is
/// printed (streamed, or --json); without it, on a terminal, an interactive chat (<see cref="ChatRepl"/>).
/// </summary>
internal sealed class ChatCommand : MiniMeCommand
{
    private const int ListLimit = 50;

    private readonly Argument<string[]> _message = new("MESSAGE")
    {
        Description = "The message (one turn; `-` reads it from stdin). Without it, on a terminal: an interactive chat",
        Arity = ArgumentArity.ZeroOrMore,
    };
    private readonly Option<string?> _conversation = new("--conversation", "-c") { Description = "Continue this conversation (the id chat prints, or from --list)" };
    private readonly Option<bool> _json = new("--json") { Description = "Print the turn as one JSON object (the /v1/chat answer plus `answer`); with --list a JSON array" };
    private readonly Option<bool> _list = new("--list") { Description = "List your conversations, most recent first" };

    public ChatCommand(CliContext context)
        : base("chat", "Chat with MiniMe over your memory and facts: one turn with MESSAGE, or an interactive chat on a terminal (same conversations as the API)", context)
    {
        Arguments.Add(_message);
        Options.Add(_conversation);
        Options.Add(_json);
        Options.Add(_list);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        ArgumentGuards.RejectOptionLikeTokens(parse, _message);
        var words = parse.GetValue(_message) ?? [];
        var json = parse.GetValue(_json);
        var conversationId = parse.GetValue(_conversation);
        if (parse.GetValue(_list))
        {
            if (words.Length > 0 || conversationId is not null) throw new InvalidInputException("--list takes no MESSAGE and no --conversation.");
            await using var listing = OpenEngine(parse);
            return List(new ChatSession(listing), json);
        }
        if (words.Length == 0)
        {
            if (json) throw new InvalidInputException("--json needs MESSAGE (or `-` to read it from stdin); the interactive chat prints no JSON.");
            if (!Context.InputInteractive)
                throw new InvalidInputException("No MESSAGE: pass the message as arguments, or `-` to read it from stdin; the interactive chat needs a terminal.");
            await using var engine = OpenEngine(parse);
            var session = new ChatSession(engine);
            session.EnsureModel();
            if (conversationId is not null) session.Require(conversationId);
            return await new ChatRepl(Context, session, parse.GetValue(GlobalOptions.Verbose)).RunAsync(conversationId, cancellationToken);
        }

        var message = words is ["-"] ? await Context.Input.ReadToEndAsync(cancellationToken) : string.Join(' ', words);
        if (string.IsNullOrWhiteSpace(message))
            throw new InvalidInputException(words is ["-"] ? "The message read from stdin is empty." : "The message is empty; pass it as arguments, or `-` to read it from stdin.");
        await using (var engine = OpenEngine(parse))
        {
            var session = new ChatSession(engine);
            session.EnsureModel();
            if (conversationId is not null) session.Require(conversationId);
            var turn = await session.Chat.StartAsync(session.UserId, new ChatRequest(message, conversationId), cancellationToken);
            if (json)
            {
                Out.Profile.Out.Writer.WriteLine(Json(await turn.CompleteAsync(cancellationToken)));
                return ExitCodes.Ok;
            }
            Context.Error.WriteLine($"conversation {turn.ConversationId} · run {turn.RunId}");
            await StreamPlainAsync(turn, cancellationToken);
            return ExitCodes.Ok;
        }
    }

    /// <summary>The answer as plain text on stdout, each token as it arrives.</summary>
    private async Task StreamPlainAsync(ChatTurn turn, CancellationToken cancellationToken)
    {
        var writer = Out.Profile.Out.Writer;
        var midLine = false;
        await foreach (var e in turn.StreamAsync(cancellationToken))
        {
            switch (e.Type)
            {
                case ChatStreamEvent.Delta when e.Text is { Length: > 0 } text:
                    writer.Write(text);
                    writer.Flush();
                    midLine = !text.EndsWith('\n');
                    break;
                case ChatStreamEvent.Error:
                    if (midLine) writer.WriteLine();
                    writer.Flush();
                    throw new ModelCallException(e.Detail ?? "The model call failed.");
            }
        }
        if (midLine) writer.WriteLine();
        writer.Flush();
    }

    /// <summary>What POST /v1/chat answers, in its JSON, with the answer's text first as `answer`.</summary>
    internal static string Json(ChatReply reply)
    {
        var api = JsonSerializer.SerializeToNode(reply, ApiJson.Options)!.AsObject();
        var json = new JsonObject
        {
            ["conversation_id"] = reply.ConversationId,
            ["run_id"] = reply.RunId,
            ["answer"] = reply.Message.Content,
        };
        foreach (var (name, value) in api.ToList())
        {
            if (json.ContainsKey(name)) continue;
            api.Remove(name);
            json[name] = value;
        }
        return json.ToJsonString(ApiJson.Options);
    }

    private int List(ChatSession session, bool json)
    {
        var conversations = session.Conversations.List(session.UserId, ListLimit);
        if (json)
        {
            Out.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(conversations, ApiJson.Options));
            return ExitCodes.Ok;
        }
        if (conversations.Count == 0)
            Out.MarkupLine("No conversations yet. Start one with [bold]minime chat \"hello\"[/].");
        else
            Out.Write(ConversationsTable(conversations, current: null));
        return ExitCodes.Ok;
    }

    internal static Table ConversationsTable(IReadOnlyList<Conversation> conversations, string? current)
    {
        var table = new Table().Border(TableBorder.Simple).AddColumn("id").AddColumn("title").AddColumn("messages").AddColumn("updated (UTC)");
        foreach (var c in conversations)
            table.AddRow(c.Id == current ? $"[bold]{c.Id}[/] *" : c.Id, Markup.Escape(c.Title), c.MessageCount.ToString(CultureInfo.InvariantCulture),
                c.UpdatedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture));
        return table;
    }
}

/// <summary>The services one chat uses, all from the engine's composition root, for the workspace owner.</summary>
internal sealed class ChatSession(Engine engine)
{
    /// <summary>The CLI's words for <see cref="ChatService.NoModelDetail"/>: the same settings, and `doctor` to check them.</summary>
    public const string NoModel =
        "No chat model is configured (llm.provider is none): set llm.provider (openai, ollama or anthropic), llm.model and llm.endpoint in config.yaml " +
        "or MINIME_LLM__PROVIDER / MINIME_LLM__MODEL / MINIME_LLM__ENDPOINT; `minime doctor` checks the setup.";

    public Engine Engine { get; } = engine;
    public string UserId { get; } = engine.Owner.UserId;
    public ChatService Chat { get; } = engine.Service<ChatService>();
    public ConversationStore Conversations { get; } = engine.Service<ConversationStore>();

    /// <exception cref="ModelUnavailableException">llm.provider is none.</exception>
    public void EnsureModel()
    {
        if (!Chat.HasModel) throw new ModelUnavailableException(NoModel);
    }

    /// <exception cref="NotFoundException">The owner has no such conversation.</exception>
    public Conversation Require(string id) =>
        Conversations.Get(UserId, id) ?? throw new NotFoundException($"No conversation '{id}'; `minime chat --list` shows yours.");
}
