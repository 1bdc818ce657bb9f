using System.Globalization;
using MiniMe.Cli.Hosting;
using MiniMe.Cli.Rendering;
using MiniMe.Server.Chat;
using MiniMe.Server.Conversations;
using MiniMe.Server.Facts;
using MiniMe.Server.Goals;
using Spectre.Console;

namespace MiniMe.Cli.Commands;

/// <summary>
/// The interactive `minime chat`: lines from <see cref="CliContext.Input"/>, each a turn whose answer
/// streams as Markdown, or a slash command. Ctrl+C while an answer streams stops only that answer
/// (the loop claims it: <see cref="Interrupts"/>); at the prompt, Ctrl+C or end of input (Ctrl+D) quits.
/// A failed turn (the model is down) prints one line and the loop goes on.
/// </summary>
internal sealed class ChatRepl(CliContext context, ChatSession session, bool verbose)
{
    /// <summary>Messages /open shows of the conversation it switches to.</summary>
    internal const int OpenMessages = 6;
    private const int OpenMessageChars = 400;
    private const int ListLimit = 20;
    private const int FactLimit = 50;

    private readonly IAnsiConsole _out = context.Console;
    private string? _conversation;

    public async Task<int> RunAsync(string? conversationId, CancellationToken cancellationToken)
    {
        _out.MarkupLine("[bold]MiniMe chat[/] [dim]/help lists the commands; /quit or Ctrl+D leaves; Ctrl+C stops an answer.[/]");
        GoalsCommand.WriteAlerts(_out, session.Engine.Service<GoalAlerts>().For(session.UserId));
        if (conversationId is not null) Open(conversationId);
        while (true)
        {
            _out.Markup("[bold green]>[/] ");
            string? line;
            try
            {
                line = await ReadLineAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                _out.WriteLine();
                return ExitCodes.Ok;   // Ctrl+C at the prompt: leaving is what it asks for
            }
            if (line is null)
            {
                _out.WriteLine();
                return ExitCodes.Ok;
            }
            line = line.Trim();
            if (line.Length == 0) continue;
            if (line.StartsWith('/'))
            {
                if (!await CommandAsync(line, cancellationToken)) return ExitCodes.Ok;
                continue;
            }
            await TurnAsync(line, cancellationToken);
        }
    }

    /// <summary>
    /// A line, or null at the end of input. A terminal's ReadLine cannot be cancelled: it runs aside so
    /// that Ctrl+C at the prompt still ends the wait (the read left behind ends with the process).
    /// </summary>
    private Task<string?> ReadLineAsync(CancellationToken cancellationToken) =>
        Task.Run(() => context.Input.ReadLine(), CancellationToken.None).WaitAsync(cancellationToken);

    /// <returns>False when the command leaves the chat.</returns>
    private async Task<bool> CommandAsync(string line, CancellationToken cancellationToken)
    {
        var space = line.IndexOf(' ', StringComparison.Ordinal);
        var name = (space < 0 ? line : line[..space]).ToLowerInvariant();
        var argument = space < 0 ? "" : line[(space + 1)..].Trim();
        switch (name)
        {
            case "/quit" or "/exit" or "/q":
                return false;
            case "/help" or "/?":
                Help();
                break;
            case "/new":
                _conversation = null;
                _out.MarkupLine("New conversation: your next message starts it.");
                break;
            case "/list":
                var conversations = session.Conversations.List(session.UserId, ListLimit);
                if (conversations.Count == 0) _out.MarkupLine("No conversations yet: type a message to start one.");
                else _out.Write(ChatCommand.ConversationsTable(conversations, _conversation));
                break;
            case "/open" when argument.Length == 0:
                Problem("/open needs a conversation id: /open ID (/list shows them).");
                break;
            case "/open":
                Open(argument);
                break;
            case "/facts":
                await FactsAsync(cancellationToken);
                break;
            case "/goals":
                Goals();
                break;
            default:
                Problem($"Unknown command '{name}'; /help lists the commands.");
                break;
        }
        return true;
    }

    private void Help()
    {
        var grid = new Grid().AddColumn().AddColumn();
        grid.AddRow("/new", "start a new conversation (with your next message)");
        grid.AddRow("/list", "your conversations, most recent first");
        grid.AddRow("/open ID", "switch to a conversation: its summary and last messages");
        grid.AddRow("/facts", "what MiniMe knows about you (active facts)");
        grid.AddRow("/goals", "your active goals and what is due soon");
        grid.AddRow("/help", "this list");
        grid.AddRow("/quit", "leave (also Ctrl+D; Ctrl+C at the prompt)");
        _out.Write(grid);
        _out.MarkupLine("[dim]Anything else is a message. Ctrl+C while an answer streams stops that answer only.[/]");
    }

    private void Open(string id)
    {
        var conversation = session.Conversations.Get(session.UserId, id);
        if (conversation is null)
        {
            Problem($"No conversation '{id}'; /list shows yours.");
            return;
        }
        _conversation = conversation.Id;
        _out.MarkupLine($"Opened [bold]{Markup.Escape(conversation.Title)}[/] [dim]({conversation.Id}, {conversation.MessageCount} messages)[/]");
        var (summary, through) = session.Conversations.Summary(session.UserId, conversation.Id);
        if (summary is { Length: > 0 })
            _out.MarkupLine($"[bold]Summary[/] [dim](messages up to #{through.ToString(CultureInfo.InvariantCulture)})[/]: {Markup.Escape(summary)}");
        else
            _out.MarkupLine("[dim]No summary yet: every message is still in the history.[/]");
        foreach (var message in session.Conversations.Messages(session.UserId, conversation.Id, last: OpenMessages))
        {
            var who = message.Role == ChatRoles.Assistant ? "[blue]minime:[/]" : "[green]you:[/]";
            var text = message.Content.Length <= OpenMessageChars ? message.Content : message.Content[..(OpenMessageChars - 1)] + "…";
            _out.MarkupLine($"{who} {Markup.Escape(text)}");
        }
    }

    private async Task FactsAsync(CancellationToken cancellationToken)
    {
        var facts = await session.Engine.Service<IUserFacts>().ListAsync(session.Engine.Owner, category: null, FactLimit, cancellationToken);
        if (facts.Count == 0)
        {
            _out.MarkupLine("No facts yet. Add one with [bold]minime remember \"prefers dark mode\"[/].");
            return;
        }
        var table = new Table().Border(TableBorder.Simple).AddColumn("id").AddColumn("category").AddColumn("fact");
        foreach (var f in facts) table.AddRow(f.Id.ToString(CultureInfo.InvariantCulture), Markup.Escape(f.Category), Markup.Escape(f.Text));
        _out.Write(table);
    }

    private void Goals()
    {
        var goals = session.Engine.Service<GoalStore>().List(session.UserId, GoalStatuses.Active);
        if (goals.Count == 0) _out.MarkupLine("No active goals. Add one with [bold]minime goals add \"Ship v2\" --deadline 2026-12-31[/].");
        else _out.Write(GoalsCommand.GoalsTable(goals));
        GoalsCommand.WriteAlerts(_out, session.Engine.Service<GoalAlerts>().For(session.UserId));
    }

    private async Task TurnAsync(string message, CancellationToken cancellationToken)
    {
        ChatTurn turn;
        try
        {
            turn = await session.Chat.StartAsync(session.UserId, new ChatRequest(message, _conversation), cancellationToken);
        }
        catch (Exception e) when (IsTurnFailure(e, cancellationToken))
        {
            Problem(e);
            return;
        }
        if (_conversation is null) _out.MarkupLine($"[dim]new conversation {turn.ConversationId}[/]");
        _conversation = turn.ConversationId;

        var markdown = new MarkdownStream(_out);
        IReadOnlyList<ChatSource> sources = [];
        ChatUsage? usage = null;
        string? failure = null;
        using (var answer = context.Interrupts.Claim(cancellationToken))
        {
            try
            {
                await foreach (var e in turn.StreamAsync(answer.Token))
                {
                    switch (e.Type)
                    {
                        case ChatStreamEvent.Start:
                            sources = e.Sources ?? [];
                            break;
                        case ChatStreamEvent.Delta when e.Text is { } text:
                            markdown.Append(text);
                            break;
                        case ChatStreamEvent.Done:
                            usage = e.Usage;
                            break;
                        case ChatStreamEvent.Error:
                            failure = e.Detail ?? "The model call failed.";
                            break;
                    }
                }
            }
            catch (OperationCanceledException) when (answer.Interrupted && !cancellationToken.IsCancellationRequested)
            {
                markdown.Finish();
                _out.MarkupLine($"[yellow]stopped[/] [dim](the partial answer is not kept; run {turn.RunId})[/]");
                return;
            }
            catch (Exception e) when (IsTurnFailure(e, cancellationToken))
            {
                markdown.Finish();
                Problem(e);
                return;
            }
        }
        markdown.Finish();
        if (failure is not null)
        {
            Problem(failure);
            return;
        }
        _out.MarkupLine($"[dim]{Stats(sources.Count, usage, turn.RunId)}[/]");
    }

    /// <summary>"2 sources · 812 + 64 tokens · run r_…" (tokens estimated when the model reported none).</summary>
    internal static string Stats(int sources, ChatUsage? usage, string runId)
    {
        var parts = new List<string> { sources == 1 ? "1 source" : $"{sources.ToString(CultureInfo.InvariantCulture)} sources" };
        if (usage is not null)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{usage.PromptTokens} + {usage.CompletionTokens} tokens{(usage.Estimated ? " (estimated)" : "")}"));
            if (usage.Priced) parts.Add(string.Create(CultureInfo.InvariantCulture, $"${usage.Cost:0.####}"));
        }
        parts.Add($"run {runId}");
        return Markup.Escape(string.Join(" · ", parts));
    }

    /// <summary>What a turn may meet and the chat survives: MiniMe's failures (the model down, a message too long), I/O to the model.</summary>
    private static bool IsTurnFailure(Exception e, CancellationToken cancellationToken) =>
        e is MiniMeException or HttpRequestException or IOException
        || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested);   // a timeout inside the model call

    private void Problem(Exception e)
    {
        Problem(e.Message);
        if (verbose) context.Error.WriteLine(e.ToString());
    }

    /// <summary>One line on stderr (the first of a longer message).</summary>
    private void Problem(string message) => context.Error.WriteLine($"error: {message.Split('\n')[0].TrimEnd('\r')}");
}
