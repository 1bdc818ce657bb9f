using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace MiniMe.Masks.Learned;

/// <summary>Which policy won a comparison, on what, by how much: what masks.policy auto goes by.</summary>
/// <param name="Winner"><see cref="Learned"/> or <see cref="Heuristic"/>.</param>
/// <param name="Source">Who compared: "train-validation" (`minime train`), or an evaluation harness's name.</param>
/// <param name="Metric">What was compared (e.g. "validation_loss"; lower is better unless the source says otherwise).</param>
public sealed record ModelEvaluation(string Winner, string Source, string Metric, double Learned, double Heuristic, DateTimeOffset RecordedAt)
{
    public const string LearnedWinner = "learned";
    public const string HeuristicWinner = "heuristic";

    public bool LearnedWon => string.Equals(Winner, LearnedWinner, StringComparison.Ordinal);
}

public sealed record ModelDataCounts(int Runs, int RunsWithMasks, int FeedbackEntries, int MaskCorrections, int ActionCorrections, int Verdicts,
    int Outcomes, int SkippedFeedback, int Signalled, int Priors, int TrainExamples, int ValidationExamples);

/// <summary>models/mask-vN/manifest.json: what the network reads and writes, what it was trained on, how well it did, and its weights' SHA-256.</summary>
public sealed record ModelManifest
{
    public const string FileName = "manifest.json";
    public const string CurrentFormat = "minime-mask-mlp/1";

    public string Format { get; init; } = CurrentFormat;
    public required string Version { get; init; }
    public required DateTimeOffset Created { get; init; }
    public required IReadOnlyList<string> Features { get; init; }
    public required IReadOnlyList<string> Outputs { get; init; }
    public required int Hidden { get; init; }
    public required int Seed { get; init; }
    public required int Epochs { get; init; }
    public required int EpochsRun { get; init; }
    public required int BestEpoch { get; init; }
    public required ModelDataCounts Data { get; init; }
    public required MaskMetrics Train { get; init; }
    public required MaskMetrics Validation { get; init; }
    /// <summary>The heuristic policy on the same validation examples.</summary>
    public required MaskMetrics Baseline { get; init; }
    public string WeightsFile { get; init; } = "weights.bin";
    public required string WeightsSha256 { get; init; }
    /// <summary>The latest comparison with the heuristic; null until one is recorded.</summary>
    public ModelEvaluation? Evaluation { get; init; }

    /// <summary>How manifests are written: snake_case, indented.</summary>
    public static JsonSerializerOptions Json { get; } = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>Reads a model folder's manifest; throws <see cref="MaskModelException"/> when it is missing or unreadable.</summary>
    public static ModelManifest Read(string modelDirectory)
    {
        var path = Path.Combine(modelDirectory, FileName);
        if (!File.Exists(path)) throw new MaskModelException($"{Path.GetFileName(modelDirectory)} has no {FileName}");
        try
        {
            return JsonSerializer.Deserialize<ModelManifest>(File.ReadAllText(path), Json)
                   ?? throw new MaskModelException($"{Path.GetFileName(modelDirectory)}/{FileName} is JSON null");
        }
        catch (JsonException e)
        {
            throw new MaskModelException($"{Path.GetFileName(modelDirectory)}/{FileName} is not a model manifest: {e.Message.Split('.')[0]}", e);
        }
    }

    public void Write(string modelDirectory)
    {
        Directory.CreateDirectory(modelDirectory);
        var path = Path.Combine(modelDirectory, FileName);
        var temp = path + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(this, Json) + "\n");
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>
    /// Records a comparison with the heuristic in the model's manifest (replacing the previous one):
    /// `minime train` writes its validation comparison, an evaluation harness its own. masks.policy auto
    /// uses the model only while its latest evaluation says the learned policy won.
    /// </summary>
    public static ModelManifest RecordEvaluation(string modelDirectory, ModelEvaluation evaluation)
    {
        ArgumentNullException.ThrowIfNull(evaluation);
        if (evaluation.Winner is not (ModelEvaluation.LearnedWinner or ModelEvaluation.HeuristicWinner))
            throw new ArgumentException($"winner must be '{ModelEvaluation.LearnedWinner}' or '{ModelEvaluation.HeuristicWinner}'", nameof(evaluation));
        var updated = Read(modelDirectory) with { Evaluation = evaluation };
        updated.Write(modelDirectory);
        return updated;
    }
}

/// <summary>A model folder is missing, incomplete or damaged, or a version does not exist.</summary>
public sealed class MaskModelException(string message, Exception? inner = null) : MiniMeException(ErrorCategory.Damaged, message, inner);
