using System.CommandLine;
using System.Globalization;
using MiniMe.Cli.Hosting;
using MiniMe.Server.Goals;
using Spectre.Console;

namespace MiniMe.Cli.Commands;

/// <summary>
/// `minime goals`: the workspace owner's goals, the same ones /v1/goals serves (the personal layer's
/// <see cref="GoalStore"/> over the server database). Alone it lists the active goals and the deadline alerts.
/// </summary>
internal sealed class GoalsCommand : MiniMeCommand
{
    private readonly Option<bool> _json = new("--json") { Description = "Print a JSON object: the active goals and the deadline alerts" };

    public GoalsCommand(CliContext context)
        : base("goals", "Your goals with milestones, progress and deadlines: alone, the active goals and what is due soon", context)
    {
        Options.Add(_json);
        Subcommands.Add(new AddCommand(context));
        Subcommands.Add(new ListCommand(context));
        Subcommands.Add(new ShowCommand(context));
        Subcommands.Add(new UpdateCommand(context));
        Subcommands.Add(new ProgressCommand(context));
        Subcommands.Add(new MilestoneCommand(context));
        Subcommands.Add(new LinkCommand(context));
        Subcommands.Add(new StatusCommand("done", GoalStatuses.Done, "Mark a goal reached (progress 100%)", context));
        Subcommands.Add(new StatusCommand("archive", GoalStatuses.Archived, "Archive a goal: kept, but no longer active", context));
        Subcommands.Add(new SuggestCommand(context));
    }

    protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        await using var engine = OpenEngine(parse);
        var user = engine.Owner.UserId;
        var goals = engine.Service<GoalStore>().List(user, GoalStatuses.Active);
        var alerts = engine.Service<GoalAlerts>().For(user);
        if (parse.GetValue(_json))
        {
            Out.Profile.Out.Writer.WriteLine(GoalJson.Serialize(new { Goals = goals, Alerts = alerts }));
            return ExitCodes.Ok;
        }
        if (goals.Count == 0)
            Out.MarkupLine("No active goals. Add one with [bold]minime goals add \"Ship v2\" --deadline 2026-12-31[/].");
        else
            Out.Write(GoalsTable(goals));
        WriteAlerts(Out, alerts);
        return ExitCodes.Ok;
    }

    internal static void WriteAlerts(IAnsiConsole console, IReadOnlyList<GoalAlert> alerts)
    {
        foreach (var alert in alerts)
            console.MarkupLine($"[{(alert.Overdue ? "red" : "yellow")}]{(alert.Overdue ? "Overdue" : "Due soon")}:[/] {Markup.Escape(alert.Message)} [dim]({alert.GoalId})[/]");
    }

    internal static Table GoalsTable(IReadOnlyList<Goal> goals)
    {
        var table = new Table().Border(TableBorder.Simple)
            .AddColumn("id").AddColumn("title").AddColumn("status").AddColumn("deadline").AddColumn("progress").AddColumn("milestones");
        foreach (var g in goals)
            table.AddRow(g.Id, Markup.Escape(g.Title), g.Status, g.Deadline is { } d ? GoalValues.Format(d) : "",
                Bar(g.Progress), $"{g.Milestones.Count(m => m.Status == MilestoneStatuses.Done)}/{g.Milestones.Count}");
        return table;
    }

    /// <summary>A ten-cell bar and the percentage: "████░░░░░░ 40%".</summary>
    internal static string Bar(int progress)
    {
        var full = (int)Math.Round(progress / 10.0, MidpointRounding.AwayFromZero);
        return new string('█', full) + new string('░', 10 - full) + " " + progress.ToString(CultureInfo.InvariantCulture) + "%";
    }

    private static void WriteGoal(IAnsiConsole console, Goal goal)
    {
        console.MarkupLine($"[bold]{Markup.Escape(goal.Title)}[/] [dim]({goal.Id})[/]");
        var grid = new Grid().AddColumn().AddColumn();
        grid.AddRow("status", goal.Status);
        grid.AddRow("deadline", goal.Deadline is { } d ? GoalValues.Format(d) : "none");
        grid.AddRow("progress", Bar(goal.Progress));
        if (goal.Description.Length > 0) grid.AddRow("description", Markup.Escape(goal.Description));
        grid.AddRow("updated (UTC)", goal.UpdatedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture));
        console.Write(grid);
        if (goal.Milestones.Count > 0)
        {
            console.Write(MilestonesTable(goal.Milestones));
        }
        else
        {
            console.MarkupLine($"No milestones. Add one with [bold]minime goals milestone {goal.Id} add TITLE[/].");
        }
        if (goal.Links.Count > 0)
            console.MarkupLine("Linked: " + Markup.Escape(string.Join(", ", goal.Links.Select(l => $"{l.Kind} {l.Id}"))));
    }

    private static Table MilestonesTable(IEnumerable<Milestone> milestones)
    {
        var table = new Table().Border(TableBorder.Simple).AddColumn("#").AddColumn("id").AddColumn("milestone").AddColumn("status").AddColumn("due");
        foreach (var m in milestones)
            table.AddRow(m.Order.ToString(CultureInfo.InvariantCulture), m.Id, Markup.Escape(m.Title),
                m.Status == MilestoneStatuses.Done ? "[green]done[/]" : "open", m.Due is { } due ? GoalValues.Format(due) : "");
        return table;
    }

    private static Option<string?> DateOption(string name, string description) => new(name) { Description = description + " (YYYY-MM-DD)" };

    private static Argument<string> IdArgument() => new("ID") { Description = "The goal's id (from `minime goals list`)" };

    private static Argument<string[]> TitleArgument(string what) => new("TITLE") { Description = $"The {what}'s title", Arity = ArgumentArity.OneOrMore };

    private static string Title(ParseResult parse, Argument<string[]> argument)
    {
        ArgumentGuards.RejectOptionLikeTokens(parse, argument);
        return string.Join(' ', parse.GetValue(argument) ?? []);
    }

    private sealed class AddCommand : MiniMeCommand
    {
        private readonly Argument<string[]> _title = TitleArgument("goal");
        private readonly Option<string?> _deadline = DateOption("--deadline", "When it is due");
        private readonly Option<string?> _description = new("--description", "-d") { Description = "What the goal is about, in a sentence or two" };
        private readonly Option<bool> _json = new("--json") { Description = "Print the goal as JSON" };

        public AddCommand(CliContext context) : base("add", "Add a goal", context)
        {
            Arguments.Add(_title);
            Options.Add(_deadline);
            Options.Add(_description);
            Options.Add(_json);
        }

        protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
        {
            var title = Title(parse, _title);
            var deadline = GoalValues.ParseOptionalDate(parse.GetValue(_deadline), "deadline");
            await using var engine = OpenEngine(parse);
            var goal = engine.Service<GoalStore>().Create(engine.Owner.UserId, title, parse.GetValue(_description), deadline);
            if (parse.GetValue(_json))
            {
                Out.Profile.Out.Writer.WriteLine(GoalJson.Serialize(goal));
                return ExitCodes.Ok;
            }
            Out.MarkupLine($"[green]Added[/] goal [bold]{goal.Id}[/]: {Markup.Escape(goal.Title)}{(deadline is { } d ? $" (deadline {GoalValues.Format(d)})" : "")}");
            return ExitCodes.Ok;
        }
    }

    private sealed class ListCommand : MiniMeCommand
    {
        private readonly Option<bool> _all = new("--all", "-a") { Description = "Include done and archived goals" };
        private readonly Option<bool> _json = new("--json") { Description = "Print a JSON array" };

        public ListCommand(CliContext context) : base("list", "List active goals, nearest deadline first; --all adds done and archived ones", context)
        {
            Options.Add(_all);
            Options.Add(_json);
        }

        protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
        {
            await using var engine = OpenEngine(parse);
            var goals = engine.Service<GoalStore>().List(engine.Owner.UserId, parse.GetValue(_all) ? null : GoalStatuses.Active);
            if (parse.GetValue(_json))
            {
                Out.Profile.Out.Writer.WriteLine(GoalJson.Serialize(goals));
                return ExitCodes.Ok;
            }
            if (goals.Count == 0)
                Out.MarkupLine(parse.GetValue(_all) ? "No goals yet. Add one with [bold]minime goals add TITLE[/]." : "No active goals; [bold]--all[/] shows done and archived ones.");
            else
                Out.Write(GoalsTable(goals));
            return ExitCodes.Ok;
        }
    }

    private sealed class ShowCommand : MiniMeCommand
    {
        private readonly Argument<string> _id = IdArgument();
        private readonly Option<bool> _json = new("--json") { Description = "Print the goal as JSON" };

        public ShowCommand(CliContext context) : base("show", "Show a goal with its milestones and links", context)
        {
            Arguments.Add(_id);
            Options.Add(_json);
        }

        protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
        {
            await using var engine = OpenEngine(parse);
            var goal = engine.Service<GoalStore>().Require(engine.Owner.UserId, parse.GetValue(_id)!);
            if (parse.GetValue(_json))
            {
                Out.Profile.Out.Writer.WriteLine(GoalJson.Serialize(goal));
                return ExitCodes.Ok;
            }
            WriteGoal(Out, goal);
            if (engine.Service<GoalAlerts>().Check(goal, engine.Service<GoalAlerts>().Today) is { } alert) WriteAlerts(Out, [alert]);
            return ExitCodes.Ok;
        }
    }

    private sealed class UpdateCommand : MiniMeCommand
    {
        private readonly Argument<string> _id = IdArgument();
        private readonly Option<string?> _title = new("--title") { Description = "A new title" };
        private readonly Option<string?> _description = new("--description", "-d") { Description = "A new description (\"\" clears it)" };
        private readonly Option<string?> _deadline = DateOption("--deadline", "A new deadline");
        private readonly Option<bool> _noDeadline = new("--no-deadline") { Description = "Remove the deadline" };

        public UpdateCommand(CliContext context) : base("update", "Change a goal's title, description or deadline", context)
        {
            Arguments.Add(_id);
            Options.Add(_title);
            Options.Add(_description);
            Options.Add(_deadline);
            Options.Add(_noDeadline);
        }

        protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
        {
            var deadlineText = parse.GetValue(_deadline);
            var noDeadline = parse.GetValue(_noDeadline);
            if (deadlineText is not null && noDeadline) throw new InvalidInputException("Give --deadline or --no-deadline, not both.");
            var changes = new GoalChanges(
                parse.GetValue(_title),
                parse.GetValue(_description),
                deadlineText is not null || noDeadline,
                deadlineText is null ? null : GoalValues.ParseDate(deadlineText, "deadline"));
            if (changes is { Title: null, Description: null, SetDeadline: false })
                throw new InvalidInputException("Nothing to change; give --title, --description, --deadline or --no-deadline.");
            await using var engine = OpenEngine(parse);
            var goal = engine.Service<GoalStore>().Update(engine.Owner.UserId, parse.GetValue(_id)!, changes);
            Out.MarkupLine($"[green]Updated[/] goal [bold]{goal.Id}[/]: {Markup.Escape(goal.Title)} (deadline {(goal.Deadline is { } d ? GoalValues.Format(d) : "none")})");
            return ExitCodes.Ok;
        }
    }

    private sealed class ProgressCommand : MiniMeCommand
    {
        private readonly Argument<string> _id = IdArgument();
        private readonly Argument<int> _percent = new("N") { Description = "How far along the goal is, 0-100 (%)" };

        public ProgressCommand(CliContext context) : base("progress", "Set a goal's progress (0-100 %)", context)
        {
            Arguments.Add(_id);
            Arguments.Add(_percent);
        }

        protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
        {
            var percent = GoalValues.Progress(parse.GetValue(_percent));
            await using var engine = OpenEngine(parse);
            var goal = engine.Service<GoalStore>().Update(engine.Owner.UserId, parse.GetValue(_id)!, new GoalChanges(Progress: percent));
            Out.MarkupLine($"{Markup.Escape(goal.Title)} [dim]({goal.Id})[/] {Bar(goal.Progress)}");
            return ExitCodes.Ok;
        }
    }

    private sealed class StatusCommand : MiniMeCommand
    {
        private readonly Argument<string> _id = IdArgument();
        private readonly string _status;

        public StatusCommand(string name, string status, string description, CliContext context) : base(name, description, context)
        {
            _status = status;
            Arguments.Add(_id);
        }

        protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
        {
            await using var engine = OpenEngine(parse);
            var changes = _status == GoalStatuses.Done ? new GoalChanges(Status: _status, Progress: 100) : new GoalChanges(Status: _status);
            var goal = engine.Service<GoalStore>().Update(engine.Owner.UserId, parse.GetValue(_id)!, changes);
            Out.MarkupLine($"Goal [bold]{goal.Id}[/] ({Markup.Escape(goal.Title)}) is now [bold]{goal.Status}[/].");
            return ExitCodes.Ok;
        }
    }

    /// <summary>`minime goals milestone ID add TITLE [--due DATE]|done MID|remove MID`.</summary>
    private sealed class MilestoneCommand : Command
    {
        public MilestoneCommand(CliContext context) : base("milestone", "List, add, complete or remove a goal's milestones: milestone ID list|add|done|reopen|remove ...")
        {
            var id = IdArgument();
            Arguments.Add(id);
            Subcommands.Add(new ListMilestones(context, id));
            Subcommands.Add(new AddMilestone(context, id));
            Subcommands.Add(new MilestoneStatus(context, id, "done", MilestoneStatuses.Done, "Mark a milestone done"));
            Subcommands.Add(new MilestoneStatus(context, id, "reopen", MilestoneStatuses.Open, "Mark a done milestone open again"));
            Subcommands.Add(new RemoveMilestone(context, id));
        }
    }

    private static Argument<string> MilestoneIdArgument() => new("MID") { Description = "The milestone's id (from `minime goals show ID`)" };

    private sealed class ListMilestones : MiniMeCommand
    {
        private readonly Argument<string> _goal;
        private readonly Option<bool> _json = new("--json") { Description = "Print a JSON array" };

        public ListMilestones(CliContext context, Argument<string> goal) : base("list", "List the goal's milestones in order", context)
        {
            _goal = goal;
            Options.Add(_json);
        }

        protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
        {
            await using var engine = OpenEngine(parse);
            var goal = engine.Service<GoalStore>().Require(engine.Owner.UserId, parse.GetValue(_goal)!);
            if (parse.GetValue(_json))
            {
                Out.Profile.Out.Writer.WriteLine(GoalJson.Serialize(goal.Milestones));
                return ExitCodes.Ok;
            }
            if (goal.Milestones.Count == 0)
                Out.MarkupLine($"No milestones. Add one with [bold]minime goals milestone {goal.Id} add TITLE[/].");
            else
                Out.Write(MilestonesTable(goal.Milestones));
            return ExitCodes.Ok;
        }
    }

    private sealed class AddMilestone : MiniMeCommand
    {
        private readonly Argument<string> _goal;
        private readonly Argument<string[]> _title = TitleArgument("milestone");
        private readonly Option<string?> _due = DateOption("--due", "When the milestone is due");

        public AddMilestone(CliContext context, Argument<string> goal) : base("add", "Add a milestone after the goal's others", context)
        {
            _goal = goal;
            Arguments.Add(_title);
            Options.Add(_due);
        }

        protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
        {
            var title = Title(parse, _title);
            var due = GoalValues.ParseOptionalDate(parse.GetValue(_due), "due date");
            await using var engine = OpenEngine(parse);
            var milestone = engine.Service<GoalStore>().AddMilestone(engine.Owner.UserId, parse.GetValue(_goal)!, title, due);
            Out.MarkupLine($"[green]Added[/] milestone [bold]{milestone.Id}[/] (#{milestone.Order}): {Markup.Escape(milestone.Title)}");
            return ExitCodes.Ok;
        }
    }

    private sealed class MilestoneStatus : MiniMeCommand
    {
        private readonly Argument<string> _goal;
        private readonly Argument<string> _milestone = MilestoneIdArgument();
        private readonly string _status;

        public MilestoneStatus(CliContext context, Argument<string> goal, string name, string status, string description) : base(name, description, context)
        {
            _goal = goal;
            _status = status;
            Arguments.Add(_milestone);
        }

        protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
        {
            await using var engine = OpenEngine(parse);
            var goalId = parse.GetValue(_goal)!;
            var milestone = engine.Service<GoalStore>().UpdateMilestone(engine.Owner.UserId, goalId, parse.GetValue(_milestone)!, new MilestoneChanges(Status: _status));
            Out.MarkupLine($"Milestone [bold]{milestone.Id}[/] ({Markup.Escape(milestone.Title)}) is now [bold]{milestone.Status}[/].");
            return ExitCodes.Ok;
        }
    }

    private sealed class RemoveMilestone : MiniMeCommand
    {
        private readonly Argument<string> _goal;
        private readonly Argument<string> _milestone = MilestoneIdArgument();

        public RemoveMilestone(CliContext context, Argument<string> goal) : base("remove", "Remove a milestone", context)
        {
            _goal = goal;
            Arguments.Add(_milestone);
        }

        protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
        {
            await using var engine = OpenEngine(parse);
            var goalId = parse.GetValue(_goal)!;
            var milestoneId = parse.GetValue(_milestone)!;
            engine.Service<GoalStore>().RemoveMilestone(engine.Owner.UserId, goalId, milestoneId);
            Out.MarkupLine($"Removed milestone [bold]{milestoneId}[/] from goal {goalId}.");
            return ExitCodes.Ok;
        }
    }

    private sealed class LinkCommand : MiniMeCommand
    {
        private readonly Argument<string> _id = IdArgument();
        private readonly Option<long?> _fact = new("--fact") { Description = "A fact's number (from `minime facts`)" };
        private readonly Option<string?> _run = new("--run") { Description = "A run's id (from `minime runs`)" };
        private readonly Option<string?> _conversation = new("--conversation") { Description = "A conversation's id (from the API or `minime chat`)" };

        public LinkCommand(CliContext context) : base("link", "Link a goal to a fact, a run or a conversation (one of --fact, --run, --conversation)", context)
        {
            Arguments.Add(_id);
            Options.Add(_fact);
            Options.Add(_run);
            Options.Add(_conversation);
        }

        protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
        {
            var given = new List<(string Kind, string Target)>();
            if (parse.GetValue(_fact) is { } fact) given.Add((GoalLinkKinds.Fact, fact.ToString(CultureInfo.InvariantCulture)));
            if (parse.GetValue(_run) is { } run) given.Add((GoalLinkKinds.Run, run));
            if (parse.GetValue(_conversation) is { } conversation) given.Add((GoalLinkKinds.Conversation, conversation));
            if (given.Count != 1) throw new InvalidInputException("Give exactly one of --fact N, --run RUN or --conversation C.");
            await using var engine = OpenEngine(parse);
            var id = parse.GetValue(_id)!;
            var link = await engine.Service<GoalLinkCheck>().LinkAsync(engine.Owner, id, given[0].Kind, given[0].Target, cancellationToken);
            Out.MarkupLine($"Linked goal [bold]{id}[/] to {link.Kind} [bold]{Markup.Escape(link.Id)}[/].");
            return ExitCodes.Ok;
        }
    }

    private sealed class SuggestCommand : MiniMeCommand
    {
        private readonly Argument<string> _id = IdArgument();
        private readonly Option<bool> _json = new("--json") { Description = "Print the suggestions as JSON" };

        public SuggestCommand(CliContext context) : base("suggest", "Ask the model for next actions towards a goal, from its milestones and your memory (needs llm.provider)", context)
        {
            Arguments.Add(_id);
            Options.Add(_json);
        }

        protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
        {
            await using var engine = OpenEngine(parse);
            var result = await engine.Service<GoalSuggester>().SuggestAsync(engine.Owner.UserId, parse.GetValue(_id)!, cancellationToken);
            if (parse.GetValue(_json))
            {
                Out.Profile.Out.Writer.WriteLine(GoalJson.Serialize(result));
                return ExitCodes.Ok;
            }
            var table = new Table().Border(TableBorder.Simple).AddColumn("#").AddColumn("next action").AddColumn("why").AddColumn("milestone");
            var n = 0;
            foreach (var s in result.Suggestions)
                table.AddRow((++n).ToString(CultureInfo.InvariantCulture), Markup.Escape(s.Action), Markup.Escape(s.Why), s.MilestoneId ?? "");
            Out.Write(table);
            Out.MarkupLine($"[dim]run {result.RunId}: `minime trace {result.RunId}` shows how they were made.[/]");
            return ExitCodes.Ok;
        }
    }
}
