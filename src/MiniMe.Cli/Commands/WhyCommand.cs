using System.CommandLine;
using System.Globalization;
using MiniMe.Cli.Hosting;
using MiniMe.Evidence;
using MiniMe.Tracing;
using Spectre.Console;

namespace MiniMe.Cli.Commands;

/// <summary>
/// `minime why ID`: the evidence graph around one node (docs/evidence.md), as a tree of where it came from and where
/// it was used, the same tree GET /v1/evidence/{kind}/{id} answers with.
/// </summary>
internal sealed class WhyCommand : MiniMeCommand
{
    private readonly Argument<string> _id = new("ID")
    {
        Description = "fact:12 (or 12, #12), chunk:40, doc:7, run:RUN_ID (or the bare run id), conversation:ID, message:ID, proposal:ID, decision:ID, goal:3",
    };
    private readonly Option<int> _depth = new("--depth")
    {
        Description = $"Hops to follow each way (1-{EvidenceGraph.MaxDepth})",
        DefaultValueFactory = _ => EvidenceGraph.DefaultDepth,
    };
    private readonly Option<bool> _json = new("--json") { Description = "Print the tree as JSON (as GET /v1/evidence/{kind}/{id} does)" };

    public WhyCommand(CliContext context)
        : base("why", "Where a fact, chunk, document or run came from and where it was used: the evidence graph as a tree", context)
    {
        Arguments.Add(_id);
        Options.Add(_depth);
        Options.Add(_json);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var node = EvidenceNode.Parse(parse.GetValue(_id));
        var depth = parse.GetValue(_depth);
        if (depth is < 1 or > EvidenceGraph.MaxDepth)
            throw new InvalidInputException($"--depth must be between 1 and {EvidenceGraph.MaxDepth} (got {depth}).");
        await using var engine = OpenEngine(parse);
        var tree = await engine.Owner.Evidence().WhyAsync(node, depth, cancellationToken);
        if (parse.GetValue(_json))
        {
            Out.Profile.Out.Writer.WriteLine(EvidenceJson.Tree(tree).ToJsonString(JsonFormats.Indented));
            return ExitCodes.Ok;
        }
        var root = new Tree(Title(tree.Root, tree.Label, null, null));
        var origins = root.AddNode("[bold]came from[/]");
        if (tree.Origins.Count == 0) origins.AddNode("[dim]nothing recorded[/]");
        Add(origins, tree.Origins);
        var uses = root.AddNode("[bold]used by[/]");
        if (tree.Uses.Count == 0) uses.AddNode("[dim]nothing recorded[/]");
        Add(uses, tree.Uses);
        Out.Write(root);
        if (tree.Truncated)
            Out.MarkupLine($"[yellow]The tree stops at {EvidenceGraph.MaxNodes} nodes; ask for less with --depth.[/]");
        return ExitCodes.Ok;
    }

    private static void Add(IHasTreeNodes parent, IReadOnlyList<EvidenceTreeNode> nodes)
    {
        foreach (var n in nodes) Add(parent.AddNode(Title(n.Node, n.Label, n.Phrase, n)), n.Children);
    }

    private static string Title(EvidenceNode node, string? label, string? phrase, EvidenceTreeNode? edge)
    {
        var text = (phrase is null ? "" : $"[dim]{Markup.Escape(phrase)}[/] ") + $"[bold]{Markup.Escape(node.ToString())}[/]";
        if (label is { Length: > 0 }) text += " " + Markup.Escape(label);
        if (edge?.Detail is { Length: > 0 } detail) text += $" [dim]({Markup.Escape(detail)})[/]";
        if (edge?.At is { } at) text += $" [dim]{at.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)}[/]";
        return text;
    }
}
