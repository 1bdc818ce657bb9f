using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using MiniMe.Cli.Hosting;
using MiniMe.Cli.Rendering;
using MiniMe.Evidence;
using MiniMe.Memory.Facts;
using MiniMe.Tracing;
using Spectre.Console;

namespace MiniMe.Cli.Commands;

/// <summary>`minime facts`: list (the default), edit, forget, review, history.</summary>
internal sealed class FactsCommand : MiniMeCommand
{
    private readonly ListOptions _list = new();

    public FactsCommand(CliContext context) : base("facts", "List the facts MiniMe knows about you (default), or edit, forget, review and show history", context)
    {
        _list.AddTo(this);
        Subcommands.Add(new ListCommand(context));
        Subcommands.Add(new EditCommand(context));
        Subcommands.Add(new ForgetCommand(context));
        Subcommands.Add(new ReviewCommand(context));
        Subcommands.Add(new HistoryCommand(context));
    }

    protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        await using var engine = OpenEngine(parse);
        return await _list.RunAsync(parse, engine, Out, cancellationToken);
    }

    private sealed class ListCommand : MiniMeCommand
    {
        private readonly ListOptions _list = new();

        public ListCommand(CliContext context) : base("list", "List active facts; --all adds superseded, retracted, pending and rejected ones", context) => _list.AddTo(this);

        protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        await using var engine = OpenEngine(parse);
        return await _list.RunAsync(parse, engine, Out, cancellationToken);
    }
    }

    /// <summary>The options of `facts` and `facts list` (one instance per command).</summary>
    private sealed class ListOptions
    {
        private readonly Option<string?> _category = new("--category", "-c") { Description = "Only this category" };
        private readonly Option<bool> _all = new("--all", "-a") { Description = "Include superseded, retracted, pending and rejected facts" };
        private readonly Option<string?> _status = new("--status") { Description = $"Only this status: {string.Join(", ", FactCodes.All<FactStatus>())}" };
        private readonly Option<int> _limit = NumberOptions.Whole("--limit", "At most this many, newest first", 1, int.MaxValue, 1000, "-n");
        private readonly Option<bool> _json = new("--json") { Description = "Print a JSON array" };

        public void AddTo(Command command)
        {
            command.Options.Add(_category);
            command.Options.Add(_all);
            command.Options.Add(_status);
            command.Options.Add(_limit);
            command.Options.Add(_json);
        }

        public async Task<int> RunAsync(ParseResult parse, Engine engine, IAnsiConsole console, CancellationToken cancellationToken)
        {
            var limit = parse.GetValue(_limit);
            IReadOnlyList<FactStatus>? statuses = parse.GetValue(_status) is { Length: > 0 } status
                ? [FactCodes.Parse<FactStatus>(status.Trim().ToLowerInvariant())]
                : parse.GetValue(_all) ? null : [FactStatus.Active];
            var service = await engine.FactServiceAsync(cancellationToken);
            var facts = await service.ListAsync(new FactQuery(parse.GetValue(_category), statuses, Limit: limit), cancellationToken);
            if (parse.GetValue(_json))
            {
                console.Profile.Out.Writer.WriteLine(FactRenderer.Array(facts, FactRenderer.ToJson).ToJsonString(JsonFormats.Indented));
                return ExitCodes.Ok;
            }
            if (facts.Count == 0)
                console.MarkupLine("No facts yet. Add one with [bold]minime remember \"prefers dark mode\"[/].");
            else
                console.Write(FactRenderer.Table(facts, showStatus: statuses is not [FactStatus.Active]));
            var pending = await service.ReviewsAsync(pendingOnly: true, cancellationToken);
            if (pending.Count > 0)
                console.MarkupLine($"{pending.Count} new fact(s) wait for review: [bold]minime facts review[/]");
            return ExitCodes.Ok;
        }
    }

    private sealed class EditCommand : MiniMeCommand
    {
        private readonly Argument<string> _id = new("ID") { Description = "The fact to edit" };
        private readonly Argument<string[]> _text = new("TEXT") { Description = "The new wording (omit to open $VISUAL / $EDITOR)", Arity = ArgumentArity.ZeroOrMore };

        public EditCommand(CliContext context) : base("edit", "Reword a fact; the previous wording stays in its history", context)
        {
            Arguments.Add(_id);
            Arguments.Add(_text);
        }

        protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
        {
            var id = FactIds.Parse(parse.GetValue(_id));
            ArgumentGuards.RejectOptionLikeTokens(parse, _text);
            await using var engine = OpenEngine(parse);
            var service = await engine.FactServiceAsync(cancellationToken);
            var words = parse.GetValue(_text) ?? [];
            string text;
            if (words.Length > 0)
            {
                text = string.Join(' ', words);
            }
            else
            {
                var fact = await service.GetAsync(id, cancellationToken);
                var edited = await EditInEditorAsync(fact, cancellationToken);
                if (edited is null)
                {
                    Out.MarkupLine("The edited text is empty; nothing changed.");
                    return ExitCodes.Ok;
                }
                text = edited;
            }
            var updated = await service.EditAsync(id, text, cancellationToken);
            Out.MarkupLine($"[green]Edited[/] {FactRenderer.Label(updated)} (previous wording in `minime facts history {id}`)");
            return ExitCodes.Ok;
        }

        /// <summary>Opens the fact in the user's editor (an argument vector, never a shell); null when left empty.</summary>
        private static async Task<string?> EditInEditorAsync(Fact fact, CancellationToken cancellationToken)
        {
            var editor = Environment.GetEnvironmentVariable("VISUAL") is { Length: > 0 } visual ? visual
                : Environment.GetEnvironmentVariable("EDITOR") is { Length: > 0 } e ? e
                : throw new InvalidInputException($"No editor: give the new text (`minime facts edit {fact.Id} \"new wording\"`) or set $EDITOR.");
            var path = Path.Combine(Path.GetTempPath(), $"minime-fact-{fact.Id}-{Guid.NewGuid():N}.txt");
            try
            {
                await File.WriteAllTextAsync(path, $"{fact.Text}\n# Edit fact #{fact.Id} above. Lines starting with # are ignored; an empty text changes nothing.\n", cancellationToken);
                var parts = editor.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                var start = new ProcessStartInfo(parts[0]) { UseShellExecute = false };
                foreach (var arg in parts.Skip(1)) start.ArgumentList.Add(arg);
                start.ArgumentList.Add(path);
                using var process = Process.Start(start) ?? throw new InvalidInputException($"Could not start editor '{parts[0]}'.");
                await process.WaitForExitAsync(cancellationToken);
                if (process.ExitCode != 0)
                    throw new InvalidInputException($"Editor '{parts[0]}' exited with code {process.ExitCode}; fact #{fact.Id} is unchanged.");
                var lines = (await File.ReadAllLinesAsync(path, cancellationToken)).Where(l => !l.TrimStart().StartsWith('#'));
                var text = FactText.Normalize(string.Join(' ', lines));
                return text.Length == 0 ? null : text;
            }
            finally
            {
                File.Delete(path);
            }
        }
    }

    private sealed class ForgetCommand : MiniMeCommand
    {
        private readonly Argument<string> _id = new("ID") { Description = "The fact to forget" };
        private readonly Option<bool> _yes = new("--yes", "-y") { Description = "Do not ask for confirmation" };
        private readonly Option<bool> _purge = new("--purge") { Description = "Delete the fact with its history for good instead of retracting it" };

        public ForgetCommand(CliContext context)
            : base("forget", "Retract a fact: it is no longer used, and stays in history with the time it was forgotten (--purge deletes it)", context)
        {
            Arguments.Add(_id);
            Options.Add(_yes);
            Options.Add(_purge);
        }

        protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
        {
            var id = FactIds.Parse(parse.GetValue(_id));
            var purge = parse.GetValue(_purge);
            await using var engine = OpenEngine(parse);
            var service = await engine.FactServiceAsync(cancellationToken);
            var fact = await service.GetAsync(id, cancellationToken);
            // What used the fact or was derived from it, said before the question and after the change (docs/evidence.md).
            var impact = await engine.Owner.Evidence().ImpactAsync([EvidenceNode.Fact(id)], cancellationToken);
            var depended = EvidenceReport.Line(impact, "this fact", purge ? null : $"fact:{id}");
            var question = (purge
                ? $"Delete #{id} \"{Markup.Escape(fact.Text)}\" and its history for good? Snapshots keep their copies."
                : $"Forget #{id} \"{Markup.Escape(fact.Text)}\"? (it stays in history)") + (depended is null ? "" : " " + Markup.Escape(depended));
            if (!Confirmation.Ask(Context, parse.GetValue(_yes), question, purge ? $"Purging fact #{id}" : $"Forgetting fact #{id}"))
            {
                Out.MarkupLine("Nothing changed.");
                return ExitCodes.Ok;
            }
            if (purge)
            {
                await service.PurgeAsync(id, cancellationToken);
                Out.MarkupLine($"[green]Purged[/] fact #{id} and its history.");
                if (depended is not null) Out.WriteLine(depended + " Its evidence links were deleted with it.");
            }
            else
            {
                var retracted = await service.ForgetAsync(id, cancellationToken);
                Out.MarkupLine($"[green]Forgot[/] {FactRenderer.Label(retracted)} at {FactRenderer.Short(retracted.RetractedAt!.Value)} UTC; it is kept in `minime facts history {id}`.");
                if (depended is not null) Out.WriteLine(depended);
            }
            return ExitCodes.Ok;
        }
    }

    private sealed class ReviewCommand : MiniMeCommand
    {
        private readonly Argument<string?> _id = new("ID") { Description = "The review item to decide (omit to list, or to go through them in a terminal)", Arity = ArgumentArity.ZeroOrOne };
        private readonly Option<bool> _accept = new("--accept") { Description = "The new fact replaces the existing one (kept as superseded history)" };
        private readonly Option<bool> _keepBoth = new("--keep-both") { Description = "Keep both facts active" };
        private readonly Option<bool> _reject = new("--reject") { Description = "Reject the new fact (kept as rejected history)" };
        private readonly Option<bool> _all = new("--all", "-a") { Description = "List resolved items too" };
        private readonly Option<bool> _json = new("--json") { Description = "Print JSON" };

        public ReviewCommand(CliContext context)
            : base("review", "Decide on new facts that may repeat or contradict known ones: accept (replace), keep both, or reject", context)
        {
            Arguments.Add(_id);
            Options.Add(_accept);
            Options.Add(_keepBoth);
            Options.Add(_reject);
            Options.Add(_all);
            Options.Add(_json);
        }

        protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
        {
            var flags = new List<ReviewDecision>();
            if (parse.GetValue(_accept)) flags.Add(ReviewDecision.Accept);
            if (parse.GetValue(_keepBoth)) flags.Add(ReviewDecision.KeepBoth);
            if (parse.GetValue(_reject)) flags.Add(ReviewDecision.Reject);
            if (flags.Count > 1) throw new InvalidInputException("Choose one of --accept, --keep-both or --reject.");
            var rawId = parse.GetValue(_id);
            if (flags.Count == 1 && rawId is null) throw new InvalidInputException($"Give the review id: `minime facts review ID --{Flag(flags[0])}` (`minime facts review` lists them).");

            await using var engine = OpenEngine(parse);
            var service = await engine.FactServiceAsync(cancellationToken);
            var json = parse.GetValue(_json);
            if (rawId is not null)
            {
                var reviewId = FactIds.Parse(rawId, "review");
                ReviewDecision decision;
                if (flags.Count == 1)
                {
                    decision = flags[0];
                }
                else
                {
                    var item = (await service.ReviewsAsync(pendingOnly: false, cancellationToken)).FirstOrDefault(r => r.Review.Id == reviewId)
                        ?? throw new NotFoundException($"No review #{reviewId}; `minime facts review` lists the pending ones.");
                    if (!Context.Interactive)
                        throw new InvalidInputException($"Choose --accept, --keep-both or --reject for review {reviewId} (no terminal to ask on).");
                    FactRenderer.Review(Out, item);
                    if (Ask() is not { } chosen) return ExitCodes.Ok;
                    decision = chosen;
                }
                var resolved = await service.ResolveAsync(reviewId, decision, cancellationToken);
                if (json) Out.Profile.Out.Writer.WriteLine(FactRenderer.ToJson(resolved).ToJsonString(JsonFormats.Indented));
                else Report(resolved);
                return ExitCodes.Ok;
            }

            var items = await service.ReviewsAsync(pendingOnly: !parse.GetValue(_all), cancellationToken);
            if (json)
            {
                Out.Profile.Out.Writer.WriteLine(FactRenderer.Array(items, FactRenderer.ToJson).ToJsonString(JsonFormats.Indented));
                return ExitCodes.Ok;
            }
            if (items.Count == 0)
            {
                Out.MarkupLine("Nothing to review.");
                return ExitCodes.Ok;
            }
            if (!Context.Interactive || items.All(i => i.Review.Status != FactReviewStatus.Pending))
            {
                foreach (var item in items) FactRenderer.Review(Out, item);
                Out.MarkupLine("Decide with [bold]minime facts review ID --accept[/] (replace), [bold]--keep-both[/] or [bold]--reject[/].");
                return ExitCodes.Ok;
            }
            foreach (var item in items.Where(i => i.Review.Status == FactReviewStatus.Pending))
            {
                FactRenderer.Review(Out, item);
                if (Ask() is not { } decision) continue;
                Report(await service.ResolveAsync(item.Review.Id, decision, cancellationToken));
            }
            return ExitCodes.Ok;
        }

        /// <summary>Asks on the terminal; null means skip.</summary>
        private ReviewDecision? Ask()
        {
            const string skip = "skip for now";
            var choices = new Dictionary<string, ReviewDecision?>
            {
                ["accept: the new fact replaces the existing one"] = ReviewDecision.Accept,
                ["keep both"] = ReviewDecision.KeepBoth,
                ["reject the new fact"] = ReviewDecision.Reject,
                [skip] = null,
            };
            var answer = Out.Prompt(new SelectionPrompt<string>().Title("Decision?").AddChoices(choices.Keys));
            return choices[answer];
        }

        private void Report(ReviewItem item)
        {
            var outcome = item.Review.Status switch
            {
                FactReviewStatus.Accepted => item.Existing is { Status: FactStatus.Superseded } old
                    ? $"#{item.Candidate.Id} is active and supersedes #{old.Id} (kept in history)"
                    : $"#{item.Candidate.Id} is active",
                FactReviewStatus.KeptBoth => item.Existing is { } e ? $"#{item.Candidate.Id} and #{e.Id} are both active" : $"#{item.Candidate.Id} is active",
                _ => $"#{item.Candidate.Id} is rejected (kept in history)",
            };
            Out.MarkupLine($"[green]Review {item.Review.Id} {FactService.Describe(item.Review.Status)}[/]: {Markup.Escape(outcome)}");
        }

        private static string Flag(ReviewDecision decision) => decision switch
        {
            ReviewDecision.Accept => "accept",
            ReviewDecision.KeepBoth => "keep-both",
            _ => "reject",
        };
    }

    private sealed class HistoryCommand : MiniMeCommand
    {
        private readonly Argument<string?> _id = new("ID") { Description = "The fact (omit for the latest changes of all facts)", Arity = ArgumentArity.ZeroOrOne };
        private readonly Option<int> _limit = NumberOptions.Whole("--limit", "At most this many entries", 1, int.MaxValue, 50, "-n");
        private readonly Option<bool> _json = new("--json") { Description = "Print JSON" };

        public HistoryCommand(CliContext context) : base("history", "Show how a fact changed: created, reinforced, edited, superseded, forgotten, reviewed", context)
        {
            Arguments.Add(_id);
            Options.Add(_limit);
            Options.Add(_json);
        }

        protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
        {
            long? id = parse.GetValue(_id) is { } raw ? FactIds.Parse(raw) : null;
            await using var engine = OpenEngine(parse);
            var service = await engine.FactServiceAsync(cancellationToken);
            var entries = await service.HistoryAsync(id, parse.GetValue(_limit), cancellationToken);
            var fact = id is { } factId ? await service.GetAsync(factId, cancellationToken) : null;
            if (parse.GetValue(_json))
            {
                var history = FactRenderer.Array(entries, FactRenderer.ToJson);
                Out.Profile.Out.Writer.WriteLine(fact is null
                    ? history.ToJsonString(JsonFormats.Indented)
                    : new System.Text.Json.Nodes.JsonObject { ["fact"] = FactRenderer.ToJson(fact), ["history"] = history }.ToJsonString(JsonFormats.Indented));
                return ExitCodes.Ok;
            }
            if (fact is not null)
            {
                var state = fact.Status switch
                {
                    FactStatus.Superseded when fact.SupersededBy is { } by => $"superseded by #{by} at {FactRenderer.Short(fact.SupersededAt!.Value)} UTC",
                    FactStatus.Retracted => $"forgotten at {FactRenderer.Short(fact.RetractedAt!.Value)} UTC",
                    _ => FactCodes.Code(fact.Status),
                };
                Out.MarkupLine($"{FactRenderer.Label(fact)} ({Markup.Escape(fact.Category)}): {Markup.Escape(state)}, seen {fact.SeenCount} times, " +
                    string.Create(CultureInfo.InvariantCulture, $"importance {fact.Importance:0.00}, confidence {fact.Confidence:0.00}"));
                if (fact.Origin is { } origin) Out.MarkupLine($"    captured from {Markup.Escape(origin.ToString())}");
            }
            if (entries.Count == 0)
            {
                Out.MarkupLine("No history yet.");
                return ExitCodes.Ok;
            }
            var table = new Table().Border(TableBorder.Simple).AddColumn("at (UTC)").AddColumn(new TableColumn("fact").RightAligned()).AddColumn("change").AddColumn("details");
            foreach (var e in entries)
            {
                var details = new List<string>();
                if (e.Text is { } text) details.Add(e.Change == FactChange.Edited ? $"was \"{text}\"" : $"\"{text}\"");
                if (e.RelatedFactId is { } related) details.Add(e.Change == FactChange.Superseded ? $"by #{related}" : $"re #{related}");
                if (e.Detail is { } detail) details.Add(detail);
                table.AddRow(
                    e.At.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
                    e.FactId.ToString(CultureInfo.InvariantCulture),
                    FactCodes.Code(e.Change),
                    Markup.Escape(string.Join("; ", details)));
            }
            Out.Write(table);
            return ExitCodes.Ok;
        }
    }
}
