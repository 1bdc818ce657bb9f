using System.CommandLine;
using System.Text.Json.Nodes;
using MiniMe.Cli.Hosting;
using MiniMe.Cli.Rendering;
using MiniMe.Memory.Facts;
using MiniMe.Tracing;
using Spectre.Console;

namespace MiniMe.Cli.Commands;

internal sealed class RememberCommand : MiniMeCommand
{
    private readonly Argument<string[]> _text = new("TEXT") { Description = "A short statement about you, e.g. \"prefers dark mode\"", Arity = ArgumentArity.OneOrMore };
    private readonly Option<string?> _category = new("--category", "-c") { Description = "Category, e.g. preferences, tools, team (default: general)" };
    private readonly Option<double> _importance = NumberOptions.Real("--importance", "0-1, how much the fact should weigh in retrieval", 0, 1, 0.5);
    private readonly Option<bool> _json = new("--json") { Description = "Print the outcome as JSON" };

    public RememberCommand(CliContext context)
        : base("remember", "Remember a fact about you; duplicates reinforce, contradictions supersede, uncertain cases wait in `minime facts review`", context)
    {
        Arguments.Add(_text);
        Options.Add(_category);
        Options.Add(_importance);
        Options.Add(_json);
        Options.Add(EmptyMemoryForceOption());
    }

    protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        ArgumentGuards.RejectOptionLikeTokens(parse, _text);
        var text = string.Join(' ', parse.GetValue(_text) ?? []);
        await using var engine = OpenEngine(parse);
        var facts = await engine.FactServiceAsync(cancellationToken);
        var result = await facts.RememberAsync(
            new RememberRequest(text, parse.GetValue(_category), FactSource.Explicit, 1.0, parse.GetValue(_importance)), cancellationToken);

        if (parse.GetValue(_json))
        {
            var json = new JsonObject
            {
                ["outcome"] = result.Outcome.ToString().ToLowerInvariant(),
                ["fact"] = FactRenderer.ToJson(result.Fact),
                ["related"] = FactRenderer.Array(result.Related, FactRenderer.ToJson),
                ["review_id"] = result.Review?.Id,
                ["reason"] = result.Reason,
            };
            Out.Profile.Out.Writer.WriteLine(json.ToJsonString(JsonFormats.Indented));
            return ExitCodes.Ok;
        }

        var fact = result.Fact;
        var reason = result.Reason is null ? "" : $" ({Markup.Escape(result.Reason)})";
        switch (result.Outcome)
        {
            case RememberOutcome.Added:
                Out.MarkupLine($"[green]Remembered[/] {FactRenderer.Label(fact)} in {Markup.Escape(fact.Category)}");
                break;
            case RememberOutcome.Reinforced:
                Out.MarkupLine($"[green]Already known[/]: {FactRenderer.Label(fact)}, now seen {fact.SeenCount} times{reason}; no new fact added");
                break;
            case RememberOutcome.Superseded:
                Out.MarkupLine($"[green]Remembered[/] {FactRenderer.Label(fact)} in {Markup.Escape(fact.Category)}");
                foreach (var old in result.Related)
                    Out.MarkupLine($"  it supersedes {FactRenderer.Label(old)}, kept in history (`minime facts history {old.Id}`)");
                Out.MarkupLine($"  why: {Markup.Escape(result.Reason ?? "")}");
                break;
            case RememberOutcome.Queued:
                var existing = result.Related[0];
                Out.MarkupLine($"[yellow]Needs review[/]: {FactRenderer.Label(fact)} may {(result.Review!.Kind == FactReviewKind.Contradiction ? "contradict" : "repeat")} {FactRenderer.Label(existing)}{reason}");
                Out.MarkupLine($"  decide with `minime facts review {result.Review.Id} --accept` (replace), `--keep-both` or `--reject`");
                break;
        }
        return ExitCodes.Ok;
    }
}
