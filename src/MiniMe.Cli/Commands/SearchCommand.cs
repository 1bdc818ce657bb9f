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
    private readonly Option<string> _level = new("--level") { Description = "document (best chunk per file), paragraph (chunks; default) or sentence (best sentences of the top chunks)", DefaultValueFactory = _ => "paragraph" };
    private readonly Option<bool> _embedSentences = new("--embed-sentences") { Description = "--level sentence: also rank sentences by cosine to the query (embeds every sentence of the top chunks; seconds on a CPU)" };
    private readonly Option<string?> _mode = new("--mode") { Description = "hybrid (default: BM25 plus embeddings when configured), lexical or dense" };

    public SearchCommand(CliContext context) : base("search", "Search memory (BM25, plus embeddings when configured)", context)
    {
        Arguments.Add(_query);
        Options.Add(_k);
        Options.Add(_domain);
        Options.Add(_tags);
        Options.Add(_json);
        Options.Add(_level);
        Options.Add(_mode);
        Options.Add(_embedSentences);
        _level.AcceptOnlyFromAmong("document", "paragraph", "sentence");
        _mode.AcceptOnlyFromAmong("hybrid", "lexical", "dense");
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
        var mode = parse.GetValue(_mode) switch
        {
            "lexical" => RetrievalMode.Lexical,
            "dense" => RetrievalMode.Dense,
            _ => RetrievalMode.Hybrid,
        };
        var level = parse.GetValue(_level)!;
        // Document level needs more chunks than documents; sentence level picks from the top chunks.
        var chunkK = level switch { "document" => Math.Min(1000, Math.Max(k * 10, 40)), "sentence" => Math.Max(k, SentenceChunks), _ => k };
        var result = await retriever.RetrieveAsync(new RetrievalRequest(query, chunkK, filter, RetrievalBoosts.None, mode), cancellationToken);
        var json = parse.GetValue(_json);
        switch (level)
        {
            case "document":
                var documents = DocumentLevel.Aggregate(result.Hits, k);
                if (json) PrintJson(documents);
                else PrintDocuments(query, documents, result);
                break;
            case "sentence":
                var clock = System.Diagnostics.Stopwatch.StartNew();
                var top = result.Hits.Take(SentenceChunks).ToList();
                var sentences = SentenceRanker.Sentences(top);
                IReadOnlyList<double>? cosines = null;
                if (parse.GetValue(_embedSentences) && retriever.Embeddings is { } generator && sentences.Count > 0 && sentences.Count <= MaxEmbeddedSentences)
                {
                    var q = (await generator.GenerateAsync([query], MiniMe.Embeddings.EmbeddingPurpose.Query(), cancellationToken))[0].Vector;
                    var vectors = await generator.GenerateAsync(sentences.Select(s => s.Text), MiniMe.Embeddings.EmbeddingPurpose.Document(), cancellationToken);
                    cosines = [.. vectors.Select(v => Cosine(q.Span, v.Vector.Span))];
                }
                var ranked = SentenceRanker.Rank(query, top, cosines).Take(k).ToList();
                if (json) PrintJson(ranked);
                else PrintSentences(query, ranked, result, cosines is not null, sentences.Count, clock.Elapsed.TotalMilliseconds);
                break;
            default:
                if (json) PrintJson(result);
                else PrintTable(query, result);
                break;
        }
        return ExitCodes.Ok;
    }

    /// <summary>Chunks whose sentences --level sentence ranks.</summary>
    private const int SentenceChunks = 8;

    /// <summary>With --embed-sentences, above this many sentences they are still ranked by term overlap alone.</summary>
    private const int MaxEmbeddedSentences = 200;

    private static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < Math.Min(a.Length, b.Length); i++)
        {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return na == 0 || nb == 0 ? 0 : dot / Math.Sqrt(na * nb);
    }

    private void PrintJson(IReadOnlyList<DocumentHit> documents)
    {
        var array = new JsonArray([.. documents.Select(d => (JsonNode?)new JsonObject
        {
            ["source"] = d.Best.Source,
            ["score"] = Math.Round(d.Score, 6),
            ["chunks"] = d.Chunks,
            ["best"] = new JsonObject { ["id"] = d.Best.Id, ["start"] = d.Best.StartOffset, ["end"] = d.Best.EndOffset, ["heading"] = d.Best.Heading },
            ["domain"] = d.Best.Domain,
            ["text"] = d.Best.Text,
        })]);
        Out.Profile.Out.Writer.WriteLine(array.ToJsonString(JsonFormats.Indented));
    }

    private void PrintJson(IReadOnlyList<SentenceHit> sentences)
    {
        var array = new JsonArray([.. sentences.Select(s => (JsonNode?)new JsonObject
        {
            ["source"] = s.Chunk.Source,
            ["start"] = s.StartOffset,
            ["end"] = s.EndOffset,
            ["chunk"] = s.Chunk.Id,
            ["score"] = Math.Round(s.Score, 6),
            ["overlap"] = Math.Round(s.Overlap, 6),
            ["cosine"] = s.Cosine is { } c ? Math.Round(c, 6) : null,
            ["text"] = s.Text,
        })]);
        Out.Profile.Out.Writer.WriteLine(array.ToJsonString(JsonFormats.Indented));
    }

    private void PrintDocuments(string query, IReadOnlyList<DocumentHit> documents, RetrievalResult result)
    {
        if (documents.Count == 0)
        {
            Out.MarkupLine($"No results for [bold]{Markup.Escape(query)}[/]. Import notes or code with [bold]minime import PATH[/].");
            return;
        }
        var rank = 0;
        foreach (var d in documents)
        {
            rank++;
            var hit = d.Best;
            var more = d.Chunks > 1 ? $" · {d.Chunks} chunks" : "";
            Out.MarkupLine($"[bold]{rank}.[/] [cyan]{Markup.Escape(Display(hit.Source))}[/]  [grey]score {d.Score:0.000}{more} · best {hit.StartOffset}-{hit.EndOffset} #{hit.Id}[/]");
            Out.WriteLine("   " + Snippet(hit.Text));
        }
        Out.MarkupLine($"[grey]{documents.Count} documents · {result.Mode} · {result.ElapsedMs:0.0} ms[/]");
    }

    private void PrintSentences(string query, IReadOnlyList<SentenceHit> sentences, RetrievalResult result, bool withCosine, int candidates, double rankMs)
    {
        if (sentences.Count == 0)
        {
            Out.MarkupLine($"No results for [bold]{Markup.Escape(query)}[/]. Import notes or code with [bold]minime import PATH[/].");
            return;
        }
        var rank = 0;
        foreach (var s in sentences)
        {
            rank++;
            Out.MarkupLine($"[bold]{rank}.[/] {Markup.Escape(Snippet(s.Text))}");
            Out.MarkupLine($"   [cyan]{Markup.Escape($"{Display(s.Chunk.Source)}:{s.StartOffset}-{s.EndOffset}")}[/]  [grey]score {s.Score:0.000} · chunk #{s.Chunk.Id}[/]");
        }
        var how = withCosine ? "term overlap + cosine" : "term overlap";
        Out.MarkupLine($"[grey]{sentences.Count} of {candidates} sentences · {result.Mode} · sentences by {how} · {result.ElapsedMs + rankMs:0.0} ms[/]");
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
