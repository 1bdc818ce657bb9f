using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using MiniMe.Cli.Hosting;
using MiniMe.Masks.Learned;
using Spectre.Console;

namespace MiniMe.Cli.Commands;

/// <summary>`minime models list|use|rollback`: the trained mask models in models/ and which one is active.</summary>
internal sealed class ModelsCommand : MiniMeCommand
{
    public ModelsCommand(CliContext context)
        : base("models", "The trained mask models (models/mask-vN): list them, choose the active one, roll back", context)
    {
        Subcommands.Add(new ListCommand(context));
        Subcommands.Add(new UseCommand(context));
        Subcommands.Add(new RollbackCommand(context));
    }

    protected override Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken) =>
        Task.FromResult(ListCommand.Write(Context, Registry(parse), json: false));

    /// <summary>The workspace's models/ (the workspace must be initialized; config.yaml must load).</summary>
    private static ModelRegistry Registry(ParseResult parse)
    {
        var workspace = ResolveWorkspace(parse);
        workspace.EnsureInitialized();
        return new ModelRegistry(workspace.ModelsDirectory);
    }

    private static string Describe(ActiveModel active) => active.Version ?? "the heuristic";

    private sealed class ListCommand : MiniMeCommand
    {
        private readonly Option<bool> _json = new("--json") { Description = "Print a JSON object: the active version and every model with its manifest" };

        public ListCommand(CliContext context) : base("list", "List the trained models, oldest first, with their data, metrics and evaluation", context) => Options.Add(_json);

        protected override Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken) =>
            Task.FromResult(Write(Context, Registry(parse), parse.GetValue(_json)));

        internal static int Write(CliContext context, ModelRegistry registry, bool json)
        {
            var models = registry.List();
            var active = registry.Active();
            if (json)
            {
                var array = new JsonArray();
                foreach (var m in models)
                {
                    array.Add(new JsonObject
                    {
                        ["version"] = m.Version,
                        ["active"] = m.Active,
                        ["problem"] = m.Problem,
                        ["manifest"] = m.Manifest is null ? null : JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(m.Manifest, ModelManifest.Json)),
                    });
                }
                context.Console.Profile.Out.Writer.WriteLine(new JsonObject
                {
                    ["active"] = active.Version,
                    ["previous"] = new JsonArray([.. active.Previous.Select(p => (JsonNode?)p)]),
                    ["models"] = array,
                }.ToJsonString(MiniMe.Tracing.JsonFormats.Indented));
                return ExitCodes.Ok;
            }

            if (models.Count == 0)
            {
                context.Console.MarkupLine("No trained models. Correct a few runs with [bold]minime feedback RUN --delta '{\"rigor\": 0.9}'[/], then [bold]minime train[/].");
                return ExitCodes.Ok;
            }

            var table = new Table().Border(TableBorder.Simple)
                .AddColumn("version").AddColumn("created").AddColumn("runs").AddColumn("validation loss").AddColumn("heuristic loss").AddColumn("evaluation").AddColumn("sha-256");
            foreach (var m in models)
            {
                var name = m.Active ? $"[bold]{m.Version}[/] (active)" : m.Version;
                if (m.Manifest is not { } x)
                {
                    table.AddRow(name, "", "", "", "", $"[red]{Markup.Escape(m.Problem ?? "unreadable")}[/]", "");
                    continue;
                }
                table.AddRow(name, x.Created.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture),
                    $"{x.Data.TrainExamples}+{x.Data.ValidationExamples}", F(x.Validation.Loss), F(x.Baseline.Loss),
                    x.Evaluation is { } e ? $"{e.Winner} ({Markup.Escape(e.Source)})" : "none", x.WeightsSha256[..12]);
            }
            context.Console.Write(table);
            context.Console.MarkupLine($"Active: [bold]{Markup.Escape(Describe(active))}[/].");
            return ExitCodes.Ok;
        }

        private static string F(double v) => v.ToString("0.000000", CultureInfo.InvariantCulture);
    }

    private sealed class UseCommand : MiniMeCommand
    {
        private readonly Argument<string> _version = new("VERSION") { Description = "A model version (mask-v2), or 'heuristic'" };

        public UseCommand(CliContext context) : base("use", "Make a model version (or 'heuristic') the active one; the current one can be rolled back to", context) => Arguments.Add(_version);

        protected override Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
        {
            var active = Registry(parse).Use(parse.GetValue(_version)!);
            Out.MarkupLine($"Active model: [bold]{Markup.Escape(Describe(active))}[/].");
            return Task.FromResult(ExitCodes.Ok);
        }
    }

    private sealed class RollbackCommand : MiniMeCommand
    {
        public RollbackCommand(CliContext context) : base("rollback", "Go back to the model active before this one (or the heuristic when there was none)", context)
        {
        }

        protected override Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
        {
            var active = Registry(parse).Rollback();
            Out.MarkupLine($"Rolled back; active model: [bold]{Markup.Escape(Describe(active))}[/].");
            return Task.FromResult(ExitCodes.Ok);
        }
    }
}
