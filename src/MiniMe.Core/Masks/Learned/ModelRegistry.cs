using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace MiniMe.Masks.Learned;

/// <summary>A model folder as listed: its manifest, or why it cannot be used.</summary>
public sealed record ModelEntry(string Version, int Number, string Directory, ModelManifest? Manifest, string? Problem, bool Active);

/// <summary>A model that loaded and whose weights match its manifest's SHA-256.</summary>
public sealed record LoadedModel(ModelManifest Manifest, MaskNetwork Network, string Directory);

/// <summary>Which model is in use and which were before it (for rollback): models/active.json.</summary>
public sealed record ActiveModel(string? Version, IReadOnlyList<string> Previous);

/// <summary>
/// The workspace's models/ folder: one folder per trained version (mask-v1, mask-v2, ...: manifest.json and
/// weights.bin), and active.json naming the version in use (none: the heuristic) and the ones before it.
/// </summary>
public sealed partial class ModelRegistry(string directory)
{
    public const string ActiveFile = "active.json";
    public const string Heuristic = "heuristic";

    public string Directory { get; } = Path.GetFullPath(directory);

    private string ActivePath => Path.Combine(Directory, ActiveFile);

    public static bool IsVersion(string name) => VersionName().IsMatch(name);

    public string PathOf(string version) => Path.Combine(Directory, version);

    /// <summary>Every mask-vN folder, oldest first, with its manifest or the reason it cannot be read.</summary>
    public IReadOnlyList<ModelEntry> List()
    {
        if (!System.IO.Directory.Exists(Directory)) return [];
        var active = Active().Version;
        var entries = new List<ModelEntry>();
        foreach (var dir in System.IO.Directory.EnumerateDirectories(Directory))
        {
            var name = Path.GetFileName(dir);
            var match = VersionName().Match(name);
            if (!match.Success) continue;
            ModelManifest? manifest = null;
            string? problem = null;
            try
            {
                manifest = Load(name).Manifest;
            }
            catch (MaskModelException e)
            {
                problem = e.Message;
            }
            entries.Add(new ModelEntry(name, int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), dir, manifest, problem, name == active));
        }
        return [.. entries.OrderBy(e => e.Number)];
    }

    /// <summary>The next free version name: one above the highest mask-vN folder.</summary>
    public string NextVersion()
    {
        var highest = !System.IO.Directory.Exists(Directory) ? 0 : System.IO.Directory.EnumerateDirectories(Directory)
            .Select(d => VersionName().Match(Path.GetFileName(d))).Where(m => m.Success)
            .Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).DefaultIfEmpty(0).Max();
        return $"mask-v{highest + 1}";
    }

    /// <summary>Loads a version: its manifest, then its weights, checked against the manifest's SHA-256, shape and feature names.</summary>
    public LoadedModel Load(string version)
    {
        var dir = PathOf(version);
        if (!IsVersion(version) || !System.IO.Directory.Exists(dir))
            throw new MaskModelException($"no model {version} in {Directory}");
        var manifest = ModelManifest.Read(dir);
        if (manifest.Format != ModelManifest.CurrentFormat)
            throw new MaskModelException($"{version} is in format '{manifest.Format}', this MiniMe reads '{ModelManifest.CurrentFormat}'");
        if (!manifest.Features.SequenceEqual(MaskFeatures.Names) || !manifest.Outputs.SequenceEqual(MaskHeads.All.Select(h => h.Name)))
            throw new MaskModelException($"{version} was trained on other features or outputs than this MiniMe computes; train again with `minime train`");
        var weights = Path.Combine(dir, manifest.WeightsFile);
        if (!File.Exists(weights)) throw new MaskModelException($"{version} has no {manifest.WeightsFile}");
        var bytes = File.ReadAllBytes(weights);
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (!string.Equals(sha, manifest.WeightsSha256, StringComparison.OrdinalIgnoreCase))
            throw new MaskModelException($"{version}/{manifest.WeightsFile} is damaged: its SHA-256 is {sha[..12]}…, the manifest says {manifest.WeightsSha256[..Math.Min(12, manifest.WeightsSha256.Length)]}…");
        var network = MaskNetwork.FromBytes(bytes, MaskFeatures.Count, manifest.Hidden, MaskHeads.Count)
                      ?? throw new MaskModelException($"{version}/{manifest.WeightsFile} does not fit a {MaskFeatures.Count}-{manifest.Hidden}-{MaskHeads.Count} network");
        return new LoadedModel(manifest, network, dir);
    }

    /// <summary>Writes a trained network as the next version (folder written aside, then moved in place).</summary>
    public ModelManifest Save(TrainingResult result, TrainingData data, MaskTrainingOptions options, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        System.IO.Directory.CreateDirectory(Directory);
        var version = NextVersion();
        var bytes = result.Network.ToBytes();
        var c = data.Counts;
        var learnedWon = result.Validation.Loss < result.Baseline.Loss;
        var manifest = new ModelManifest
        {
            Version = version,
            Created = now,
            Features = MaskFeatures.Names,
            Outputs = [.. MaskHeads.All.Select(h => h.Name)],
            Hidden = result.Network.Hidden,
            Seed = options.Seed,
            Epochs = options.Epochs,
            EpochsRun = result.EpochsRun,
            BestEpoch = result.BestEpoch,
            Data = new ModelDataCounts(c.Runs, c.RunsWithMasks, c.FeedbackEntries, c.MaskCorrections, c.ActionCorrections, c.Verdicts, c.Outcomes,
                c.SkippedFeedback, c.Signalled, c.Priors, result.TrainExamples, result.ValidationExamples),
            Train = result.Train,
            Validation = result.Validation,
            Baseline = result.Baseline,
            WeightsSha256 = Convert.ToHexStringLower(SHA256.HashData(bytes)),
            Evaluation = new ModelEvaluation(learnedWon ? ModelEvaluation.LearnedWinner : ModelEvaluation.HeuristicWinner,
                "train-validation", "validation_loss", result.Validation.Loss, result.Baseline.Loss, now),
        };
        var temp = Path.Combine(Directory, $".{version}.tmp");
        if (System.IO.Directory.Exists(temp)) System.IO.Directory.Delete(temp, recursive: true);
        System.IO.Directory.CreateDirectory(temp);
        File.WriteAllBytes(Path.Combine(temp, manifest.WeightsFile), bytes);
        manifest.Write(temp);
        System.IO.Directory.Move(temp, PathOf(version));
        return manifest;
    }

    /// <summary>Records an evaluation in a version's manifest (see <see cref="ModelManifest.RecordEvaluation"/>).</summary>
    public ModelManifest RecordEvaluation(string version, ModelEvaluation evaluation)
    {
        if (!IsVersion(version) || !System.IO.Directory.Exists(PathOf(version))) throw new NotFoundException($"No model {version}; `minime models list` lists them.");
        return ModelManifest.RecordEvaluation(PathOf(version), evaluation);
    }

    /// <summary>The version in use and the ones before it; no file (or an unreadable one) is the heuristic with no history.</summary>
    public ActiveModel Active()
    {
        try
        {
            if (!File.Exists(ActivePath)) return new ActiveModel(null, []);
            var node = JsonNode.Parse(File.ReadAllText(ActivePath)) as JsonObject;
            var version = node?["active"] is JsonValue v && v.TryGetValue<string>(out var s) && IsVersion(s) ? s : null;
            var previous = node?["previous"] is JsonArray a
                ? a.Select(x => x is JsonValue p && p.TryGetValue<string>(out var name) ? name : null).Where(n => n is not null && (IsVersion(n) || n == Heuristic)).Select(n => n!).ToList()
                : [];
            return new ActiveModel(version, previous);
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            return new ActiveModel(null, []);
        }
    }

    /// <summary>Makes a version (or <see cref="Heuristic"/>) the one in use; the one before goes on the rollback list. A version must load.</summary>
    public ActiveModel Use(string version)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(version);
        version = version.Trim();
        if (!string.Equals(version, Heuristic, StringComparison.OrdinalIgnoreCase))
        {
            if (!IsVersion(version) || !System.IO.Directory.Exists(PathOf(version)))
                throw new NotFoundException($"No model {version}; `minime models list` lists them (or use 'heuristic').");
            Load(version);
        }
        else
        {
            version = Heuristic;
        }
        var current = Active();
        var currentName = current.Version ?? Heuristic;
        if (currentName == version) return current;
        var next = new ActiveModel(version == Heuristic ? null : version, [.. current.Previous, currentName]);
        Write(next);
        return next;
    }

    /// <summary>Back to the version in use before (skipping ones that no longer load), or the heuristic when there is none.</summary>
    public ActiveModel Rollback()
    {
        var current = Active();
        var previous = current.Previous.ToList();
        while (previous.Count > 0)
        {
            var candidate = previous[^1];
            previous.RemoveAt(previous.Count - 1);
            if (candidate == Heuristic) break;
            if (candidate == current.Version) continue;
            try
            {
                Load(candidate);
                var back = new ActiveModel(candidate, previous);
                Write(back);
                return back;
            }
            catch (MaskModelException)
            {
                // A version that no longer loads is skipped.
            }
        }
        var heuristic = new ActiveModel(null, previous);
        Write(heuristic);
        return heuristic;
    }

    private void Write(ActiveModel active)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var json = new JsonObject
        {
            ["active"] = active.Version,
            ["previous"] = new JsonArray([.. active.Previous.Select(p => (JsonNode?)p)]),
        }.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        var temp = ActivePath + ".tmp";
        File.WriteAllText(temp, json + "\n");
        File.Move(temp, ActivePath, overwrite: true);
    }

    [GeneratedRegex(@"^mask-v([1-9][0-9]{0,8})$", RegexOptions.CultureInvariant)]
    private static partial Regex VersionName();
}
