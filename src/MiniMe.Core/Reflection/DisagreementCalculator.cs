using System.Numerics.Tensors;

namespace MiniMe.Reflection;

/// <summary>
/// The disagreement index of a panel, computed in code from its structured verdicts:
/// <code>
/// D = S + (1 - S) * R / 2
/// S = sigma_w(stances) * mean(confidence)        stance dispersion, in [0, 1]
/// C = sigma(confidences) / 0.5                    confidence spread, in [0, 1]
/// A = mean over pairs of clamp(1 - cos(e_i, e_j)) assessment distance (embeddings on), in [0, 1]
/// R = 0.25 * C + 0.75 * A   (embeddings on)       R = C   (embeddings off: the weights renormalised)
/// </code>
/// sigma_w is the standard deviation of the stances (each on [-1, 1]) weighted by each verdict's
/// confidence; its maximum is 1 (half the weight at each end), so a split between confident supporters
/// and confident opponents scores S close to 1, and D at least S. Panels that agree on the stance score
/// at most 0.5 from the secondary signals: they fill at most half of the room S leaves. One verdict: 0.
/// </summary>
public static class DisagreementCalculator
{
    public const double ConfidenceWeight = 0.25;
    public const double AssessmentWeight = 0.75;

    public const string Formula = "D = S + (1 - S) * R / 2; S = confidence-weighted std dev of stances * mean confidence; C = std dev of confidences / 0.5; A = mean pairwise cosine distance of assessment embeddings; R = 0.25*C + 0.75*A (embeddings on) or C (off)";

    /// <param name="assessmentEmbeddings">One vector per verdict, in the same order; null when embeddings are off.</param>
    public static DisagreementIndex Compute(IReadOnlyList<PerspectiveVerdict> verdicts, IReadOnlyList<ReadOnlyMemory<float>>? assessmentEmbeddings = null)
    {
        ArgumentNullException.ThrowIfNull(verdicts);
        if (assessmentEmbeddings is not null && assessmentEmbeddings.Count != verdicts.Count)
            throw new ArgumentException($"{assessmentEmbeddings.Count} embeddings for {verdicts.Count} verdicts", nameof(assessmentEmbeddings));
        if (verdicts.Count < 2) return new DisagreementIndex(0, 0, 0, assessmentEmbeddings is null ? null : 0, Formula);

        var stances = verdicts.Select(v => Math.Clamp(v.StanceValue, -1, 1)).ToArray();
        var confidences = verdicts.Select(v => Math.Clamp(v.Confidence, 0, 1)).ToArray();
        var meanConfidence = confidences.Average();
        var stance = Math.Clamp(WeightedStdDev(stances, confidences) * meanConfidence, 0, 1);
        var spread = Math.Clamp(StdDev(confidences) / 0.5, 0, 1);

        double? distance = null;
        if (assessmentEmbeddings is not null)
        {
            double sum = 0;
            var pairs = 0;
            for (var i = 0; i < assessmentEmbeddings.Count; i++)
                for (var j = i + 1; j < assessmentEmbeddings.Count; j++)
                {
                    var cosine = TensorPrimitives.CosineSimilarity(assessmentEmbeddings[i].Span, assessmentEmbeddings[j].Span);
                    sum += Math.Clamp(1 - (double.IsFinite(cosine) ? cosine : 0), 0, 1);
                    pairs++;
                }
            distance = sum / pairs;
        }
        var rest = distance is { } a ? ConfidenceWeight * spread + AssessmentWeight * a : spread;
        var value = Math.Clamp(stance + (1 - stance) * rest / 2, 0, 1);
        return new DisagreementIndex(Round(value), Round(stance), Round(spread), distance is { } d ? Round(d) : null, Formula);
    }

    private static double Round(double value) => Math.Round(value, 4, MidpointRounding.AwayFromZero);

    private static double StdDev(double[] values)
    {
        var mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / values.Length);
    }

    /// <summary>Weighted by <paramref name="weights"/>; plain when every weight is 0.</summary>
    private static double WeightedStdDev(double[] values, double[] weights)
    {
        var total = weights.Sum();
        if (total <= 0) return StdDev(values);
        var mean = values.Select((v, i) => v * weights[i]).Sum() / total;
        return Math.Sqrt(values.Select((v, i) => weights[i] * (v - mean) * (v - mean)).Sum() / total);
    }
}
