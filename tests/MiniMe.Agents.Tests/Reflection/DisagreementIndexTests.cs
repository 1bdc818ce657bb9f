using MiniMe.Reflection;

namespace MiniMe.Agents.Tests.Reflection;

/// <summary>The disagreement index's properties: 0 when unanimous, near 1 for a confident split, monotone, always in [0, 1].</summary>
public sealed class DisagreementIndexTests
{
    private static PerspectiveVerdict V(double stance, double confidence, string name = "p") =>
        new(name, "assessment", Stances.LabelOf(stance), stance, [], confidence);

    private static ReadOnlyMemory<float> Vec(params float[] values) => values;

    [Fact]
    public void A_unanimous_panel_scores_0_with_and_without_embeddings()
    {
        IReadOnlyList<PerspectiveVerdict> panel = [V(1, 0.8), V(1, 0.8), V(1, 0.8), V(1, 0.8)];

        var off = DisagreementCalculator.Compute(panel);
        var on = DisagreementCalculator.Compute(panel, [Vec(1, 2, 3), Vec(1, 2, 3), Vec(1, 2, 3), Vec(1, 2, 3)]);

        Assert.Equal(0, off.Value);
        Assert.Null(off.AssessmentDistance);
        Assert.Equal(0, on.Value);
        Assert.Equal(0, on.AssessmentDistance);
    }

    [Fact]
    public void Opposite_stances_held_with_high_confidence_score_near_1()
    {
        var index = DisagreementCalculator.Compute([V(1, 0.95), V(-1, 0.95), V(1, 0.95), V(-1, 0.95)],
            [Vec(1, 0), Vec(0, 1), Vec(1, 0), Vec(0, 1)]);

        Assert.True(index.Value >= 0.95, $"D = {index.Value}");
        Assert.Equal(0.95, index.StanceDispersion, 3);
        Assert.Equal(0, index.ConfidenceSpread);
    }

    [Fact]
    public void The_same_split_held_with_little_confidence_scores_far_lower()
    {
        var sure = DisagreementCalculator.Compute([V(1, 0.95), V(-1, 0.95)]);
        var unsure = DisagreementCalculator.Compute([V(1, 0.1), V(-1, 0.1)]);

        Assert.True(unsure.Value < 0.2, $"D = {unsure.Value}");
        Assert.True(sure.Value > unsure.Value + 0.7);
    }

    [Fact]
    public void Moving_one_stance_away_from_the_others_never_lowers_the_index()
    {
        var previous = -1.0;
        foreach (var dissent in new[] { 1.0, 0.5, 0.0, -0.5, -1.0 })
        {
            var value = DisagreementCalculator.Compute([V(1, 0.9), V(1, 0.9), V(1, 0.9), V(dissent, 0.9)]).Value;
            Assert.True(value > previous, $"dissent {dissent}: D = {value} after {previous}");
            previous = value;
        }
    }

    [Fact]
    public void More_confidence_in_a_split_raises_the_index_and_more_distant_assessments_raise_it_too()
    {
        var previous = -1.0;
        foreach (var confidence in new[] { 0.1, 0.3, 0.5, 0.7, 0.9 })
        {
            var value = DisagreementCalculator.Compute([V(1, confidence), V(0, confidence), V(-1, confidence)]).Value;
            Assert.True(value > previous, $"confidence {confidence}: D = {value} after {previous}");
            previous = value;
        }
        IReadOnlyList<PerspectiveVerdict> agreeing = [V(1, 0.9), V(1, 0.9)];
        var close = DisagreementCalculator.Compute(agreeing, [Vec(1, 0.1f), Vec(1, 0.2f)]).Value;
        var apart = DisagreementCalculator.Compute(agreeing, [Vec(1, 0), Vec(0, 1)]).Value;
        Assert.True(apart > close, $"{apart} <= {close}");
        Assert.True(apart <= 0.5, "agreeing stances leave at most half the room to the other signals");
    }

    [Fact]
    public void Different_confidences_alone_are_some_disagreement_and_one_verdict_is_none()
    {
        var spread = DisagreementCalculator.Compute([V(1, 1), V(1, 0)]);

        Assert.Equal(0, spread.StanceDispersion);
        Assert.Equal(1, spread.ConfidenceSpread);
        Assert.Equal(0.5, spread.Value);
        Assert.Equal(0, DisagreementCalculator.Compute([V(-1, 1)]).Value);
    }

    [Fact]
    public void Every_panel_scores_within_0_and_1()
    {
        var random = new Random(16);
        for (var round = 0; round < 500; round++)
        {
            var n = random.Next(1, 7);
            var panel = Enumerable.Range(0, n).Select(_ => V(random.NextDouble() * 2 - 1, random.NextDouble())).ToList();
            var vectors = Enumerable.Range(0, n).Select(_ => Vec([.. Enumerable.Range(0, 4).Select(_ => (float)(random.NextDouble() * 2 - 1))])).ToList();

            foreach (var index in new[] { DisagreementCalculator.Compute(panel), DisagreementCalculator.Compute(panel, vectors) })
            {
                Assert.InRange(index.Value, 0, 1);
                Assert.InRange(index.StanceDispersion, 0, 1);
                Assert.InRange(index.ConfidenceSpread, 0, 1);
                Assert.True(index.Value >= index.StanceDispersion - 1e-4, "D is at least S");
            }
        }
    }
}
