using MiniMe.Configuration;
using MiniMe.Memory.Facts;

namespace MiniMe.Tests.Memory.Facts;

public sealed class FactJudgeTests
{
    public enum Expect
    {
        Reinforce,
        Supersede,
        Review,
        Unrelated,
    }

    private static readonly FactOptions Options = new();

    /// <summary>What FactService would do with the relation under the default thresholds.</summary>
    private static Expect Outcome(FactRelation relation) => relation.Kind switch
    {
        FactRelationKind.Duplicate when relation.Confidence >= Options.ReinforceConfidence => Expect.Reinforce,
        FactRelationKind.Contradiction when relation.Confidence >= Options.SupersedeConfidence => Expect.Supersede,
        FactRelationKind.Unrelated => Expect.Unrelated,
        _ when relation.Confidence >= Options.ReviewConfidence => Expect.Review,
        _ => Expect.Unrelated,
    };

    private static FactRelation Judge(string known, string incoming, double? cosine = null) =>
        FactJudge.Compare(FactFeatures.Analyze(incoming), FactFeatures.Analyze(known), cosine, Options);

    [Theory]
    [InlineData("prefers dark mode", "Prefers dark mode.", Expect.Reinforce)]
    [InlineData("prefers dark mode", "I prefer dark mode", Expect.Reinforce)]
    [InlineData("The user prefers dark mode", "prefers dark mode", Expect.Reinforce)]
    [InlineData("has two kids", "has 2 kids", Expect.Reinforce)]
    [InlineData("always writes tests first", "writes tests first", Expect.Reinforce)]
    [InlineData("likes meetings", "dislikes meetings", Expect.Supersede)]
    [InlineData("uses tabs", "doesn't use tabs", Expect.Supersede)]
    [InlineData("has 2 kids", "has 3 kids", Expect.Supersede)]
    [InlineData("team uses .NET 8", "team uses .NET 10", Expect.Supersede)]
    [InlineData("prefers dark mode", "prefers light mode", Expect.Supersede)]
    [InlineData("prefers tabs over spaces", "prefers spaces", Expect.Supersede)]
    [InlineData("would rather pair than work alone", "prefers working alone to pairing", Expect.Supersede)]
    [InlineData("My favorite editor is Vim", "My favorite editor is Emacs", Expect.Supersede)]
    [InlineData("My favorite editor is Vim", "Emacs is my favorite editor", Expect.Supersede)]
    [InlineData("lives in Oslo", "lives in Bergen", Expect.Supersede)]
    [InlineData("works at Contoso", "works for Fabrikam", Expect.Supersede)]
    [InlineData("prefers dark mode", "prefers dark mode everywhere", Expect.Review)]
    [InlineData("lives in Oslo", "lives in Oslo, Norway", Expect.Review)]
    [InlineData("never deploys on Fridays", "deploys on Fridays after noon", Expect.Review)]
    [InlineData("Alice is the tech lead", "Alice is the engineering manager", Expect.Review)]
    [InlineData("prefers tabs for Go", "prefers spaces for Python", Expect.Unrelated)]
    [InlineData("prefers vim", "prefers tea", Expect.Unrelated)]
    [InlineData("prefers dark mode", "prefers dark chocolate", Expect.Unrelated)]
    [InlineData("works at Contoso", "likes hiking", Expect.Unrelated)]
    [InlineData("has 2 kids", "runs 10 km on Sundays", Expect.Unrelated)]
    public void Rules_and_word_overlap_decide_the_outcome(string known, string incoming, Expect expected)
    {
        var relation = Judge(known, incoming);
        Assert.True(expected == Outcome(relation), $"'{known}' vs '{incoming}': expected {expected}, got {relation}");
    }

    [Fact]
    public void Reasons_use_the_words_as_written()
    {
        var relation = Judge("My favorite editor is Vim", "My favorite editor is Emacs");
        Assert.Contains("'favorite editor'", relation.Reason, StringComparison.Ordinal);
        Assert.Contains("vim -> emacs", relation.Reason, StringComparison.Ordinal);
        Assert.Contains("2 -> 3", Judge("has 2 kids", "has 3 kids").Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Cosine_similarity_decides_when_the_words_do_not()
    {
        // No shared words, so lexically unrelated; the vectors say otherwise.
        Assert.Equal(Expect.Unrelated, Outcome(Judge("codes at night", "is a night owl programmer", cosine: 0.2)));
        Assert.Equal(Expect.Review, Outcome(Judge("codes at night", "is a night owl programmer", cosine: 0.9)));
        Assert.Equal(Expect.Reinforce, Outcome(Judge("codes at night", "is a night owl programmer", cosine: 0.97)));
    }

    [Fact]
    public void Negation_overrides_vector_similarity()
    {
        // Embeddings of a statement and its negation are close; the rules must still see a contradiction.
        var relation = Judge("uses an ORM", "does not use an ORM", cosine: 0.99);
        Assert.Equal(FactRelationKind.Contradiction, relation.Kind);
    }

    [Theory]
    [InlineData("Prefers  dark\nmode ", "prefers dark mode")]
    [InlineData("C# and C++ with node.js 3.5", "c# and c++ with node.js 3.5")]
    [InlineData("Doesn’t use tabs.", "doesn't use tabs")]
    public void Keys_are_lower_cased_words(string text, string key) => Assert.Equal(key, FactText.Key(text));

    [Theory]
    [InlineData(null, "general")]
    [InlineData("  Preferences ", "preferences")]
    [InlineData("team-2", "team-2")]
    public void Categories_are_normalized(string? category, string expected) => Assert.Equal(expected, FactText.NormalizeCategory(category));

    [Theory]
    [InlineData("../etc")]
    [InlineData("two words")]
    [InlineData("-leading")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public void Bad_categories_are_refused(string category) => Assert.Throws<InvalidInputException>(() => FactText.NormalizeCategory(category));
}
