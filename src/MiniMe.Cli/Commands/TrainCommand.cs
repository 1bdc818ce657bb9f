using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using MiniMe.Cli.Hosting;
using MiniMe.Masks.Learned;
using Spectre.Console;

namespace MiniMe.Cli.Commands;

/// <summary>
/// `minime train`: trains the learned mask policy on the owner's feedback.jsonl and run traces, saves it as
/// models/mask-vN (manifest + weights) and makes it the active model; masks.policy decides whether runs use it.
/// </summary>
internal sealed class TrainCommand : MiniMeCommand
{
    private readonly Option<int> _epochs = NumberOptions.Whole("--epochs", "Most passes over the training data (early stopping may end sooner)", 1, 100_000, MaskTrainingOptions.DefaultEpochs);
    private readonly Option<int> _seed = NumberOptions.Whole("--seed", "Seed of the initial weights, the validation split and the batch order: same data and seed, same weights", 0, int.MaxValue, MaskTrainingOptions.DefaultSeed);
    private readonly Option<bool> _json = new("--json") { Description = "Print the new model's manifest as JSON" };

    public TrainCommand(CliContext context)
        : base("train", "Train the learned mask policy on your corrections (feedback.jsonl) and run outcomes; saved as models/mask-vN and made active", context)
    {
        Options.Add(_epochs);
        Options.Add(_seed);
        Options.Add(_json);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var json = parse.GetValue(_json);
        var options = new MaskTrainingOptions { Epochs = parse.GetValue(_epochs), Seed = parse.GetValue(_seed) };
        var workspace = ResolveWorkspace(parse);
        await using var engine = Engine.OpenTraces(parse.GetValue(GlobalOptions.Home));
        var identity = MiniMe.Identity.IdentityLoader.Load(workspace.IdentityPath);
        var data = MaskTrainingData.Load(engine.Traces, workspace.FeedbackPath, identity);
        // Progress every tenth of the epochs (on stderr, so --json stays one document).
        var every = Math.Max(1, options.Epochs / 10);
        var result = MaskTrainer.Train(data, options, epoch =>
        {
            if (epoch.Epoch % every == 0)
                Context.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"epoch {epoch.Epoch}/{epoch.Epochs}: train loss {epoch.TrainLoss:0.000000}, validation loss {epoch.ValidationLoss:0.000000}"));
        }, cancellationToken);
        var registry = new ModelRegistry(workspace.ModelsDirectory);
        var manifest = registry.Save(result, data, options, DateTimeOffset.UtcNow);
        registry.Use(manifest.Version);
        if (json)
        {
            Out.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(manifest, ModelManifest.Json));
            return ExitCodes.Ok;
        }

        Out.MarkupLine($"[green]Trained[/] [bold]{manifest.Version}[/] on {manifest.Data.TrainExamples} runs ({manifest.Data.ValidationExamples} held back): " +
                       $"{manifest.Data.MaskCorrections} mask corrections, {manifest.Data.ActionCorrections} action corrections, {manifest.Data.Verdicts} verdicts, {manifest.Data.Outcomes} outcomes, {manifest.Data.Priors} priors.");
        Out.MarkupLine(string.Create(CultureInfo.InvariantCulture,
            $"{manifest.EpochsRun} epochs (best {manifest.BestEpoch}); validation loss {manifest.Validation.Loss:0.000000} vs the heuristic's {manifest.Baseline.Loss:0.000000}: " +
            $"[bold]{manifest.Evaluation!.Winner}[/] wins."));
        Out.MarkupLine($"Saved in {Markup.Escape(Display(registry.PathOf(manifest.Version)))} (weights SHA-256 {manifest.WeightsSha256[..16]}…) and made active; " +
                       $"masks.policy is [bold]{MiniMe.Configuration.SettingValues.Name(Engine.LoadOptions(workspace).Masks.Policy)}[/].");
        return ExitCodes.Ok;
    }
}
