namespace MiniMe.Masks.Learned;

/// <summary>Training settings; the defaults are what `minime train` uses.</summary>
public sealed record MaskTrainingOptions
{
    public const int DefaultEpochs = 400;
    public const int DefaultSeed = 42;

    public int Epochs { get; init; } = DefaultEpochs;
    public int Seed { get; init; } = DefaultSeed;
    public int Hidden { get; init; } = 16;
    public double LearningRate { get; init; } = 0.01;
    public int BatchSize { get; init; } = 16;
    /// <summary>Stop after this many epochs without a better validation loss (the best weights are kept).</summary>
    public int Patience { get; init; } = 40;
    /// <summary>Share of the signalled runs (and of the priors) held back for validation.</summary>
    public double ValidationShare { get; init; } = 0.2;
    /// <summary>L2 penalty on the weights (not the biases).</summary>
    public double WeightDecay { get; init; } = 1e-4;
    /// <summary>Fewer signalled runs than this: not enough data to train.</summary>
    public int MinSignalled { get; init; } = 6;
}

/// <summary>One epoch's losses, for progress.</summary>
public sealed record TrainingEpoch(int Epoch, int Epochs, double TrainLoss, double ValidationLoss, bool Best);

/// <summary>A loss and the mean absolute error of each head (in the field's own units) over the weighted examples.</summary>
public sealed record MaskMetrics(double Loss, IReadOnlyDictionary<string, double> MeanAbsoluteError);

public sealed record TrainingResult(MaskNetwork Network, int EpochsRun, int BestEpoch, int TrainExamples, int ValidationExamples,
    MaskMetrics Train, MaskMetrics Validation, MaskMetrics Baseline);

/// <summary>The data set is too small to train on.</summary>
public sealed class NotEnoughTrainingDataException(string message) : MiniMeException(ErrorCategory.Conflict, message);

/// <summary>
/// Trains a <see cref="MaskNetwork"/> by mini-batch Adam on the weighted squared error of its [0, 1]
/// outputs, L = sum_n sum_j w_nj (v_nj - t_nj)^2 / sum_n sum_j w_nj, with a held-back validation split
/// (seeded shuffle) and early stopping on its loss. Same data and seed, same bytes.
/// </summary>
public static class MaskTrainer
{
    private const double Beta1 = 0.9;
    private const double Beta2 = 0.999;
    private const double Epsilon = 1e-8;

    public static TrainingResult Train(TrainingData data, MaskTrainingOptions options, Action<TrainingEpoch>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Epochs, 1);
        var signalled = data.Examples.Where(e => e.Signalled).ToList();
        if (signalled.Count < options.MinSignalled)
            throw new NotEnoughTrainingDataException(
                $"Not enough training data: {signalled.Count} corrected or judged run{(signalled.Count == 1 ? "" : "s")} of {data.Counts.RunsWithMasks} (from {data.Counts.FeedbackEntries} feedback entries); " +
                $"`minime train` needs at least {options.MinSignalled}. Correct runs with `minime feedback RUN --delta '{{\"rigor\": 0.9}}'`.");

        var random = new Random(options.Seed);
        var (train, validation) = Split(signalled, data.Examples.Where(e => !e.Signalled).ToList(), options.ValidationShare, random);
        var network = MaskNetwork.Create(MaskFeatures.Count, options.Hidden, MaskHeads.Count, options.Seed);
        var best = network.Clone();
        var n = network.Parameters.Length;
        var gradient = new float[n];
        var m = new double[n];
        var v = new double[n];
        var w1 = options.Hidden * MaskFeatures.Count; // the parameters start with W1: only it is decayed
        var order = Enumerable.Range(0, train.Count).ToArray();
        var bestLoss = double.PositiveInfinity;
        var bestEpoch = 0;
        var step = 0;
        var epoch = 0;
        while (epoch < options.Epochs)
        {
            cancellationToken.ThrowIfCancellationRequested();
            epoch++;
            random.Shuffle(order);
            for (var start = 0; start < order.Length; start += options.BatchSize)
            {
                var batch = order.AsSpan(start, Math.Min(options.BatchSize, order.Length - start));
                var scale = 0f;
                foreach (var i in batch) scale += Sum(train[i].Weights);
                if (scale <= 0) continue;
                Array.Clear(gradient);
                foreach (var i in batch) network.Accumulate(train[i].Features, train[i].Targets, train[i].Weights, scale, gradient);
                step++;
                Adam(network.Parameters, gradient, m, v, step, options, w1);
            }

            var trainLoss = Loss(network, train);
            var validationLoss = Loss(network, validation);
            var improved = validationLoss < bestLoss;
            if (improved)
            {
                bestLoss = validationLoss;
                bestEpoch = epoch;
                best.CopyFrom(network);
            }
            progress?.Invoke(new TrainingEpoch(epoch, options.Epochs, trainLoss, validationLoss, improved));
            if (epoch - bestEpoch >= options.Patience) break;
        }

        return new TrainingResult(best, epoch, bestEpoch, train.Count, validation.Count,
            Metrics(train, e => best.Predict(e.Features)), Metrics(validation, e => best.Predict(e.Features)), Baseline(validation));
    }

    /// <summary>The heuristic policy's metrics over the same examples: what the learned one has to beat.</summary>
    public static MaskMetrics Baseline(IReadOnlyList<TrainingExample> examples)
    {
        var heuristic = new HeuristicMaskPolicy();
        return Metrics(examples, e => [.. MaskHeads.Normalize(heuristic.Compute(e.Profile)).Select(x => (float)x)]);
    }

    private static (List<TrainingExample> Train, List<TrainingExample> Validation) Split(List<TrainingExample> signalled, List<TrainingExample> priors, double share, Random random)
    {
        var train = new List<TrainingExample>();
        var validation = new List<TrainingExample>();
        foreach (var (group, minimum) in new[] { (signalled, 1), (priors, 0) })
        {
            var shuffled = group.ToArray();
            random.Shuffle(shuffled);
            var held = group.Count == 0 ? 0 : Math.Max(minimum, (int)Math.Round(group.Count * share, MidpointRounding.AwayFromZero));
            validation.AddRange(shuffled.Take(held));
            train.AddRange(shuffled.Skip(held));
        }
        return (train, validation);
    }

    private static void Adam(Span<float> p, float[] g, double[] m, double[] v, int step, MaskTrainingOptions options, int w1)
    {
        var c1 = 1 - Math.Pow(Beta1, step);
        var c2 = 1 - Math.Pow(Beta2, step);
        for (var i = 0; i < p.Length; i++)
        {
            var grad = (double)g[i];
            if (i < w1) grad += options.WeightDecay * p[i];
            m[i] = (Beta1 * m[i]) + ((1 - Beta1) * grad);
            v[i] = (Beta2 * v[i]) + ((1 - Beta2) * grad * grad);
            p[i] -= (float)(options.LearningRate * (m[i] / c1) / (Math.Sqrt(v[i] / c2) + Epsilon));
        }
    }

    private static double Loss(MaskNetwork network, IReadOnlyList<TrainingExample> examples) =>
        Metrics(examples, e => network.Predict(e.Features)).Loss;

    private static MaskMetrics Metrics(IReadOnlyList<TrainingExample> examples, Func<TrainingExample, float[]> predict)
    {
        double error = 0, total = 0;
        var absolute = new double[MaskHeads.Count];
        var weights = new double[MaskHeads.Count];
        foreach (var e in examples)
        {
            var v = predict(e);
            for (var j = 0; j < MaskHeads.Count; j++)
            {
                var d = (double)v[j] - e.Targets[j];
                error += e.Weights[j] * d * d;
                total += e.Weights[j];
                var range = MaskHeads.All[j].Max - MaskHeads.All[j].Min;
                absolute[j] += e.Weights[j] * Math.Abs(d) * range;
                weights[j] += e.Weights[j];
            }
        }

        var mae = new Dictionary<string, double>(StringComparer.Ordinal);
        for (var j = 0; j < MaskHeads.Count; j++)
            if (weights[j] > 0 && MaskHeads.All[j].Name != "global") mae[MaskHeads.All[j].Name] = Math.Round(absolute[j] / weights[j], 6);
        return new MaskMetrics(total > 0 ? Math.Round(error / total, 8) : 0, mae);
    }

    private static float Sum(float[] values)
    {
        var s = 0f;
        foreach (var x in values) s += x;
        return s;
    }
}
