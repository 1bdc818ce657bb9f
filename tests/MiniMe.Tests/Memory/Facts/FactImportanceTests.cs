using MiniMe.Memory.Facts.Capture;

namespace MiniMe.Tests.Memory.Facts;

/// <summary>The importance formula of captured facts (docs/facts.md, "Importance").</summary>
public sealed class FactImportanceTests
{
    [Fact]
    public void The_score_is_the_weighted_sum_of_the_four_features()
    {
        Assert.Equal(1.0, FactImportance.Score(new ImportanceFeatures(1, 1, 1, 1)));
        Assert.Equal(0.0, FactImportance.Score(new ImportanceFeatures(0, 0, 0, 0)));
        Assert.Equal(0.35, FactImportance.Score(new ImportanceFeatures(1, 0, 0, 0)));
        Assert.Equal(0.25, FactImportance.Score(new ImportanceFeatures(0, 1, 0, 0)));
        Assert.Equal(0.15, FactImportance.Score(new ImportanceFeatures(0, 0, 1, 0)));
        Assert.Equal(0.25, FactImportance.Score(new ImportanceFeatures(0, 0, 0, 1)));
        Assert.Equal(0.755, FactImportance.Score(new ImportanceFeatures(1, 1, 0.7, 0.2)));
    }

    [Fact]
    public void Features_out_of_range_are_clamped()
    {
        Assert.Equal(1.0, FactImportance.Score(new ImportanceFeatures(3, 2, 9, 5)));
        Assert.Equal(0.0, FactImportance.Score(new ImportanceFeatures(-1, double.NaN, -2, -5)));
    }

    [Fact]
    public void Novelty_falls_as_the_statement_resembles_a_known_fact()
    {
        var unknown = FactImportance.Features("I prefer tea", knownSimilarity: 0, modelExplicit: false, 0, 0);
        var repeated = FactImportance.Features("I prefer tea", knownSimilarity: 1, modelExplicit: false, 0, 0);
        Assert.Equal(1, unknown.Novelty);
        Assert.Equal(0, repeated.Novelty);
        Assert.True(FactImportance.Score(unknown) - FactImportance.Score(repeated) is > 0.349 and < 0.351);
    }

    [Theory]
    [InlineData("Remember that the build runs on Fridays", false, 1.0)]
    [InlineData("Don't forget the standup moved", false, 1.0)]
    [InlineData("I always review on Mondays", false, 0.7)]
    [InlineData("My editor is vim", false, 0.7)]
    [InlineData("We talked with me about it", false, 0.4)]
    [InlineData("The sky is blue", false, 0.0)]
    [InlineData("The sky is blue", true, 0.7)]
    [InlineData("I always review on Mondays", true, 1.0)]
    public void Explicitness_reads_the_remember_cues_self_statements_and_the_model_flag(string said, bool modelExplicit, double expected) =>
        Assert.Equal(expected, FactImportance.Explicitness(said, modelExplicit));

    [Fact]
    public void Recency_is_high_for_the_present_low_for_the_past_and_halves_every_thirty_days()
    {
        Assert.Equal(1.0, FactImportance.Recency("I currently use Rider", 0));
        Assert.Equal(0.3, FactImportance.Recency("I used to use Eclipse", 0), 10);
        Assert.Equal(0.7, FactImportance.Recency("I use Rider", 0), 10);
        Assert.Equal(0.35, FactImportance.Recency("I use Rider", 30), 10);
    }

    [Fact]
    public void Weight_takes_the_highest_of_the_model_weights_and_the_decision_or_emotion_words()
    {
        Assert.Equal(0.6, FactImportance.Features("I decided to move to Paris", 0, false, 0.1, 0.0).Weight);
        Assert.Equal(0.6, FactImportance.Features("I hate long meetings", 0, false, 0.0, 0.2).Weight);
        Assert.Equal(0.9, FactImportance.Features("I decided to move to Paris", 0, false, 0.9, 0.0).Weight);
        Assert.Equal(0.0, FactImportance.Features("The office has a printer", 0, false, 0.0, 0.0).Weight);
    }
}
