using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using MiniMe.Cli.Hosting;
using MiniMe.Configuration;
using MiniMe.Memory.Evaluation;
using MiniMe.Memory.Retrieval;
using MiniMe.Tracing;

namespace MiniMe.Cli.Commands;

internal sealed class EvalCommand : Command
{
    public EvalCommand(CliContext context) : base("eval", "Measure MiniMe's quality on test collections")
    {
        Subcommands.Add(new RetrievalCommand(context));
        Subcommands.Add(new EvalTasksCommand(context));
    }

    private sealed class RetrievalCommand : MiniMeCommand
    {
        private readonly Option<string> _dataset = new("--dataset") { Description = "BEIR dataset directory (corpus.jsonl, queries.jsonl, qrels/test.tsv)", Required = true };
        private readonly Option<int> _k = NumberOptions.Whole("--k", "Cut-off for nDCG, recall and MRR (1-1000)", 1, 1000, 10);
        private readonly Option<string> _split = new("--split") { Description = "Which qrels file to use (qrels/<split>.tsv)", DefaultValueFactory = _ => "test" };
        private readonly Option<bool> _json = new("--json") { Description = "Print the report, with per-query results, as JSON" };
        private readonly Option<string> _mode = new("--mode") { Description = "hybrid (as configured), lexical (BM25 only), dense (embeddings only) or all (the three, one import)", DefaultValueFactory = _ => "hybrid" };
        private readonly Option<bool> _compare = new("--compare") { Description = "Measure a grid of fusion settings (RRF k, convex weights, per-query-type weights, dense cut-offs) over one import" };

        public RetrievalCommand(CliContext context)
            : base("retrieval", "Import a BEIR dataset into a temporary store (never your memory) and report nDCG@k, recall@k and MRR@k of retrieval", context)
        {
            Options.Add(_dataset);
            Options.Add(_k);
            Options.Add(_split);
            Options.Add(_json);
            Options.Add(_mode);
            Options.Add(_compare);
            _mode.AcceptOnlyFromAmong("hybrid", "lexical", "dense", "all");
        }

        protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
        {
            var k = parse.GetValue(_k);
            var dataset = BeirReader.Read(parse.GetValue(_dataset)!, parse.GetValue(_split)!);

            // The workspace's retrieval, import and embedding settings (and MINIME_ overrides) apply; defaults without a workspace.
            var workspace = ResolveWorkspace(parse);
            var options = Engine.LoadOptions(workspace);
            await using var engine = new Engine(workspace, options);
            IReadOnlyList<EvaluationReport> reports;
            await using (var scratch = await ScratchStore.CreateAsync(options, cancellationToken))
            {
                var evaluator = new RetrievalEvaluator(scratch.Store, options.Retrieval, options.Import, engine.Embeddings, engine.EmbeddingModel);
                var variants = parse.GetValue(_compare)
                    ? FusionGrid.Variants(options.Retrieval)
                    : Modes(parse.GetValue(_mode)!, engine.Embeddings is not null && engine.EmbeddingModel is not null, options.Retrieval);
                reports = await evaluator.CompareAsync(dataset, k, variants, cancellationToken);
            }

            if (parse.GetValue(_json))
            {
                if (reports.Count == 1) PrintJson(reports[0], options.Retrieval);
                else Out.Profile.Out.Writer.WriteLine(new JsonArray([.. reports.Select(r => (JsonNode?)ToJson(r, options.Retrieval))]).ToJsonString(JsonFormats.Indented));
            }
            else if (reports.Count == 1) PrintText(reports[0]);
            else PrintTable(reports);
            return ExitCodes.Ok;
        }

        private static IReadOnlyList<EvaluationVariant> Modes(string mode, bool hasEmbeddings, RetrievalOptions retrieval) => mode switch
        {
            "lexical" => [new EvaluationVariant(null, RetrievalMode.Lexical, retrieval)],
            "dense" => [new EvaluationVariant(null, RetrievalMode.Dense, retrieval)],
            "all" when hasEmbeddings =>
            [
                new EvaluationVariant(null, RetrievalMode.Lexical, retrieval),
                new EvaluationVariant(null, RetrievalMode.Dense, retrieval),
                new EvaluationVariant(null, RetrievalMode.Hybrid, retrieval),
            ],
            "all" => throw new InvalidInputException("--mode all compares lexical, dense and hybrid retrieval and needs an embedding model: set embeddings.model in config.yaml (it is none)."),
            _ => [new EvaluationVariant(null, RetrievalMode.Hybrid, retrieval)],
        };

        private void PrintTable(IReadOnlyList<EvaluationReport> reports)
        {
            var w = Out.Profile.Out.Writer;
            var r0 = reports[0];
            w.WriteLine($"Dataset {r0.Dataset}: {r0.Documents:N0} documents ({r0.Chunks:N0} chunks), {r0.Queries:N0} queries");
            var width = Math.Max(10, reports.Max(r => r.Mode.Length));
            w.WriteLine($"{"retrieval".PadRight(width)}  nDCG@{r0.K}  recall@{r0.K}  MRR@{r0.K}");
            foreach (var r in reports)
                w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{r.Mode.PadRight(width)}  {r.Ndcg,7:0.0000}  {r.Recall,9:0.0000}  {r.Mrr,6:0.0000}"));
            w.WriteLine($"(import {r0.ImportTime.TotalSeconds:0.0}s; search {r0.SearchTime.TotalSeconds:0.0}s)");
        }

        private void PrintText(EvaluationReport r)
        {
            var w = Out.Profile.Out.Writer;
            w.WriteLine($"Dataset {r.Dataset}: {r.Documents:N0} documents ({r.Chunks:N0} chunks), {r.Queries:N0} queries, retrieval {r.Mode}");
            w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"nDCG@{r.K}    {r.Ndcg:0.0000}"));
            w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"recall@{r.K}  {r.Recall:0.0000}"));
            w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"MRR@{r.K}     {r.Mrr:0.0000}"));
            var notes = new List<string> { $"import {r.ImportTime.TotalSeconds:0.0}s", $"search {r.SearchTime.TotalSeconds:0.0}s" };
            if (r.QueriesWithoutSearchableWords > 0) notes.Add($"{r.QueriesWithoutSearchableWords} queries had no searchable words (scored 0)");
            if (r.QueriesWithoutRelevantDocuments > 0) notes.Add($"{r.QueriesWithoutRelevantDocuments} queries with no relevant document skipped");
            w.WriteLine($"({string.Join("; ", notes)})");
        }

        private void PrintJson(EvaluationReport r, RetrievalOptions retrieval) =>
            Out.Profile.Out.Writer.WriteLine(ToJson(r, retrieval).ToJsonString(JsonFormats.Indented));

        private static JsonObject ToJson(EvaluationReport r, RetrievalOptions retrieval)
        {
            return new JsonObject
            {
                ["dataset"] = r.Dataset,
                ["k"] = r.K,
                ["mode"] = r.Mode,
                ["documents"] = r.Documents,
                ["chunks"] = r.Chunks,
                ["queries"] = r.Queries,
                ["queriesWithoutSearchableWords"] = r.QueriesWithoutSearchableWords,
                ["queriesWithoutRelevantDocuments"] = r.QueriesWithoutRelevantDocuments,
                ["ndcg"] = Math.Round(r.Ndcg, 6),
                ["recall"] = Math.Round(r.Recall, 6),
                ["mrr"] = Math.Round(r.Mrr, 6),
                ["weights"] = new JsonObject { ["title"] = retrieval.TitleWeight, ["body"] = retrieval.BodyWeight, ["symbols"] = retrieval.SymbolWeight },
                ["importSeconds"] = Math.Round(r.ImportTime.TotalSeconds, 3),
                ["searchSeconds"] = Math.Round(r.SearchTime.TotalSeconds, 3),
                ["perQuery"] = new JsonArray([.. r.PerQuery.Select(q => (JsonNode?)new JsonObject
                {
                    ["id"] = q.QueryId,
                    ["ndcg"] = Math.Round(q.Ndcg, 6),
                    ["recall"] = Math.Round(q.Recall, 6),
                    ["rr"] = Math.Round(q.ReciprocalRank, 6),
                    ["retrieved"] = new JsonArray([.. q.Retrieved.Select(id => (JsonNode?)id)]),
                })]),
            };
        }
    }
}
