using System.CommandLine;
using System.Globalization;
using MiniMe.Cli.Hosting;
using MiniMe.Server.Goals;
using MiniMe.Server.Schedules;
using Spectre.Console;

namespace MiniMe.Cli.Commands;

/// <summary>
/// `minime schedule`: the workspace owner's recurring actions, the same ones /v1/schedules serves (the
/// personal layer's <see cref="ScheduleService"/> over the server database). `minime serve` runs them
/// on time; `run-now` runs one here, through the same service, as a traced run.
/// </summary>
internal sealed class ScheduleCommand : MiniMeCommand
{
    public ScheduleCommand(CliContext context)
        : base("schedule", "Recurring actions run by `minime serve`: a chat turn or a task on a cron schedule (alone: the list)", context)
    {
        Subcommands.Add(new AddCommand(context));
        Subcommands.Add(new ListCommand(context));
        Subcommands.Add(new RemoveCommand(context));
        Subcommands.Add(new RunNowCommand(context));
    }

    protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        await using var engine = OpenEngine(parse);
        var service = engine.Service<ScheduleService>();
        WriteList(Out, service.List(engine.Owner.UserId), service.Zone);
        return ExitCodes.Ok;
    }

    private static void WriteList(IAnsiConsole console, IReadOnlyList<Schedule> schedules, TimeZoneInfo zone)
    {
        if (schedules.Count == 0)
        {
            console.MarkupLine("No schedules. Add one with [bold]minime schedule add \"0 9 * * 1-5\" --prompt \"Plan my day\"[/] (`minime serve` runs them).");
            return;
        }
        var table = new Table().Border(TableBorder.Simple)
            .AddColumn("id").AddColumn("name").AddColumn("cron").AddColumn("kind").AddColumn($"next run ({zone.Id})").AddColumn("last run").AddColumn("last status");
        foreach (var s in schedules)
            table.AddRow(s.Id, Markup.Escape(s.Name), Markup.Escape(s.Cron), s.Kind, When(s.NextRunAt, zone), s.LastRunAt is { } last ? When(last, zone) : "",
                Markup.Escape(s.LastStatus ?? ""));
        console.Write(table);
    }

    private static string When(DateTimeOffset at, TimeZoneInfo zone) =>
        at >= ScheduleStore.Never ? "never" : TimeZoneInfo.ConvertTime(at, zone).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    private static Argument<string> IdArgument() => new("ID") { Description = "The schedule's id (from `minime schedule list`)" };

    private sealed class AddCommand : MiniMeCommand
    {
        private readonly Argument<string> _cron = new("CRON")
        {
            Description = "When it runs: five fields, minute hour day-of-month month day-of-week (\"0 9 * * 1-5\": 09:00 on weekdays), in schedules.timeZone",
        };
        private readonly Option<string?> _prompt = new("--prompt", "-p") { Description = "What each run asks (the chat message, or the task for kind ask and for a workflow)", Required = true };
        private readonly Option<string?> _name = new("--name", "-n") { Description = "A name to know it by (default: the prompt's start)" };
        private readonly Option<string?> _kind = new("--kind", "-k")
        {
            Description = "chat (default: a chat turn in the schedule's own conversation), ask (a task; its proposed actions wait for your approval) or workflow (with --workflow)",
        };
        private readonly Option<string?> _workflow = new("--workflow", "-w")
        {
            Description = "Run this workflow (builtin:team, or a name from `minime workflow list`) with the prompt as its task; its actions wait for your approval",
        };
        private readonly Option<bool> _json = new("--json") { Description = "Print the schedule as JSON" };

        public AddCommand(CliContext context) : base("add", "Add a schedule", context)
        {
            Arguments.Add(_cron);
            Options.Add(_prompt);
            Options.Add(_name);
            Options.Add(_kind);
            Options.Add(_workflow);
            Options.Add(_json);
        }

        protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
        {
            await using var engine = OpenEngine(parse);
            var service = engine.Service<ScheduleService>();
            var schedule = service.Add(engine.Owner.UserId, parse.GetValue(_cron), parse.GetValue(_prompt), parse.GetValue(_name), parse.GetValue(_kind), parse.GetValue(_workflow));
            if (parse.GetValue(_json))
            {
                Out.Profile.Out.Writer.WriteLine(GoalJson.Serialize(schedule));
                return ExitCodes.Ok;
            }
            Out.MarkupLine($"[green]Added[/] schedule [bold]{schedule.Id}[/] ({schedule.Kind}): {Markup.Escape(schedule.Name)}; next run {When(schedule.NextRunAt, service.Zone)} ({Markup.Escape(service.Zone.Id)}).");
            Out.MarkupLine("[dim]`minime serve` runs it on time; `minime schedule run-now " + schedule.Id + "` runs it now.[/]");
            return ExitCodes.Ok;
        }
    }

    private sealed class ListCommand : MiniMeCommand
    {
        private readonly Option<bool> _json = new("--json") { Description = "Print a JSON array" };

        public ListCommand(CliContext context) : base("list", "List your schedules with their next run and how the last one went", context) => Options.Add(_json);

        protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
        {
            await using var engine = OpenEngine(parse);
            var service = engine.Service<ScheduleService>();
            var schedules = service.List(engine.Owner.UserId);
            if (parse.GetValue(_json))
            {
                Out.Profile.Out.Writer.WriteLine(GoalJson.Serialize(schedules));
                return ExitCodes.Ok;
            }
            WriteList(Out, schedules, service.Zone);
            return ExitCodes.Ok;
        }
    }

    private sealed class RemoveCommand : MiniMeCommand
    {
        private readonly Argument<string> _id = IdArgument();

        public RemoveCommand(CliContext context) : base("remove", "Remove a schedule (its runs' traces, conversation and proposals stay)", context) => Arguments.Add(_id);

        protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
        {
            await using var engine = OpenEngine(parse);
            var id = parse.GetValue(_id)!;
            engine.Service<ScheduleService>().Remove(engine.Owner.UserId, id);
            Out.MarkupLine($"Removed schedule [bold]{Markup.Escape(id)}[/].");
            return ExitCodes.Ok;
        }
    }

    private sealed class RunNowCommand : MiniMeCommand
    {
        private readonly Argument<string> _id = IdArgument();
        private readonly Option<bool> _json = new("--json") { Description = "Print the execution as JSON" };

        public RunNowCommand(CliContext context) : base("run-now", "Run a schedule now, here, as a traced run (its next run stays)", context)
        {
            Arguments.Add(_id);
            Options.Add(_json);
        }

        protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
        {
            await using var engine = OpenEngine(parse);
            var execution = await engine.Service<ScheduleService>().RunNowAsync(engine.Owner.UserId, parse.GetValue(_id)!, cancellationToken).ConfigureAwait(false);
            var failed = execution.Status == ScheduleStatuses.Failed;
            if (parse.GetValue(_json))
                Out.Profile.Out.Writer.WriteLine(GoalJson.Serialize(execution));
            else if (!failed)
                Out.MarkupLine($"[green]{Markup.Escape(execution.Status)}[/] run [bold]{execution.RunId}[/]: {Markup.Escape(execution.Detail ?? "")}" +
                               (execution.ConversationId is { } c ? $" [dim](conversation {c}; `minime trace {execution.RunId}` shows the run)[/]" : $" [dim](`minime trace {execution.RunId}` shows the run)[/]"));
            if (!failed) return ExitCodes.Ok;
            Context.Error.WriteLine($"error: Schedule {execution.ScheduleId} failed: {execution.Detail}");
            return ExitCodes.Error;
        }
    }
}
