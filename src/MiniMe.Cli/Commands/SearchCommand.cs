using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using MiniMe.Cli.Hosting;
using MiniMe.Tracing;
using MiniMe.Memory;
using MiniMe.Memory.Retrieval;
using Spectre.Console;

namespace MiniMe.Cli.Commands;

internal sealed class SearchCommand : MiniMeCommand
{
    private readonly Argument<string[]> _query = new("QUERY") { Description = "What to look for", Arity = ArgumentArity.OneOrMore };
    private readonly Option<int?> _k = NumberOptions.OptionalWhole("-k", "How many results, 1-1000 (default: retrieval.defaultK)", 1, 1000, "--top");
    private readonly Option<string?> _domain = new("--domain") { Description = "Only chunks of this domain" };
    private readonly Option<string?> _tags = new("--tags") { Description = "Only chunks with all of these comma-separated tags" };
    private readonly Option<bool> _json = new("--json") { Description = "Print a JSON array" };

    public SearchCommand(CliContext context) : base("search", "Search memory (BM25, plus embeddings when configured)", context)
    {
        Arguments.Add(_query);
        Options.Add(_k);
        Options.Add(_domain);
        Options.Add(_tags);
        Options.Add(_json);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        ArgumentGuards.RejectOptionLikeTokens(parse, _query);
        var query = string.Join(' ', parse.GetValue(_query) ?? []);
        await using var engine = OpenEngine(parse);
        var k = parse.GetValue(_k) ?? engine.Options.Retrieval.DefaultK;
        var tags = parse.GetValue(_tags)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(t => t.ToLowerInvariant()).ToList();
        var filter = new SearchFilter(parse.GetValue(_domain)?.Trim().ToLowerInvariant(), tags);
        var retriever = await engine.RetrieverAsync(cancellationToken);
        var result = await retriever.RetrieveAsync(new RetrievalRequest(query, k, filter, RetrievalBoosts.None), cancellationToken);
        if (parse.GetValue(_json))
            PrintJson(result);
        else
            PrintTable(query, result);
        return ExitCodes.Ok;
    }

    private void PrintJson(RetrievalResult result)
    {
        var array = new JsonArray([.. result.Hits.Select(h => (JsonNode?)new JsonObject
        {
            ["id"] = h.Id,
            ["source"] = h.Source,
            ["start"] = h.StartOffset,
            ["end"] = h.EndOffset,
            ["heading"] = h.Heading,
            ["score"] = Math.Round(h.Score, 6),
            ["bm25"] = h.LexicalScore is { } l ? Math.Round(l, 6) : null,
            ["cosine"] = h.DenseScore is { } d ? Math.Round(d, 6) : null,
            ["domain"] = h.Domain,
            ["tags"] = new JsonArray([.. h.Tags.Select(t => (JsonNode?)t)]),
            ["text"] = h.Text,
        })]);
        Out.Profile.Out.Writer.WriteLine(array.ToJsonString(JsonFormats.Indented));
    }

    private void PrintTable(string query, RetrievalResult result)
    {
        if (result.Hits.Count == 0)
        {
            Out.MarkupLine($"No results for [bold]{Markup.Escape(query)}[/]. Import notes or code with [bold]minime import PATH[/].");
            return;
        }
        var rank = 0;
        foreach (var hit in result.Hits)
        {
            rank++;
            var where = $"{Display(hit.Source)}:{hit.StartOffset}-{hit.EndOffset}";
            var heading = hit.Heading is null ? "" : $" § {Markup.Escape(hit.Heading)}";
            Out.MarkupLine($"[bold]{rank}.[/] [cyan]{Markup.Escape(where)}[/]{heading}  [grey]score {hit.Score:0.000} · {Markup.Escape(hit.Domain)} · #{hit.Id}[/]");
            Out.WriteLine("   " + Snippet(hit.Text));
        }
        Out.MarkupLine($"[grey]{result.Hits.Count} results · {result.Mode} · {result.ElapsedMs:0.0} ms[/]");
    }

    private static string Snippet(string text)
    {
        var flat = string.Join(' ', text.Split((char[])['\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return flat.Length <= 220 ? flat : flat[..220] + "…";
    }
}
