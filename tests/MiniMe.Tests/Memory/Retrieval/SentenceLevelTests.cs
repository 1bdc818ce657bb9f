using MiniMe.Context;
using MiniMe.Memory;
using MiniMe.Memory.Retrieval;

namespace MiniMe.Tests.Memory.Retrieval;

public sealed class SentenceLevelTests
{
    private static SearchHit Hit(long id, string source, string text, double score, int start = 0) => new()
    {
        Id = id,
        Source = source,
        StartOffset = start,
        EndOffset = start + text.Length,
        Domain = "general",
        Text = text,
        Score = score,
    };

    [Fact]
    public void Document_level_keeps_one_line_per_source_scored_by_its_best_chunk()
    {
        var hits = new[]
        {
            Hit(1, "/a.md", "a one", 0.9),
            Hit(2, "/b.md", "b one", 0.8),
            Hit(3, "/a.md", "a two", 0.7),
            Hit(4, "/c.md", "c one", 0.6),
            Hit(5, "/a.md", "a three", 0.5),
        };

        var documents = DocumentLevel.Aggregate(hits, 10);

        Assert.Equal(["/a.md", "/b.md", "/c.md"], documents.Select(d => d.Best.Source));
        Assert.Equal(1, documents[0].Best.Id);
        Assert.Equal(0.9, documents[0].Score);
        Assert.Equal(3, documents[0].Chunks);
        Assert.Equal(2, DocumentLevel.Aggregate(hits, 2).Count);
    }

    [Fact]
    public void Sentence_level_puts_the_sentence_with_the_query_terms_first_with_source_offsets()
    {
        var text = "The flights were booked on Monday. Casa Fanqueiros costs 105 a night. We take the train to Sintra.";
        var hits = new[] { Hit(7, "/chat.md", text, 1.0, start: 500), Hit(8, "/other.md", "Nothing about hotels here. Or trains.", 0.4) };

        var ranked = SentenceRanker.Rank("price of the guesthouse per night", hits);

        var best = ranked[0];
        Assert.Equal("Casa Fanqueiros costs 105 a night.", best.Text);
        Assert.Equal(500 + text.IndexOf("Casa", StringComparison.Ordinal), best.StartOffset);
        Assert.Equal(best.StartOffset + best.Text.Length, best.EndOffset);
        Assert.Equal(7, best.Chunk.Id);
    }

    [Fact]
    public void Sentence_overlap_weighs_rare_terms_above_common_ones()
    {
        List<string> chunks = ["the index is saved atomically", "the index is searched", "the index is rebuilt"];
        var scores = SentenceRanker.Overlaps("index saved", chunks, ["the index is searched", "the file is saved"]);

        Assert.True(scores[1] > scores[0], "'saved' is in one candidate, 'index' in all");
    }

    [Fact]
    public void Cosines_join_the_sentence_score_when_given()
    {
        var hits = new[] { Hit(1, "/n.md", "Alpha beta. Gamma delta.", 1.0) };

        var lexicalOnly = SentenceRanker.Rank("alpha", hits);
        var withCosine = SentenceRanker.Rank("alpha", hits, [0.0, 1.0]);

        Assert.Equal("Alpha beta.", lexicalOnly[0].Text);
        Assert.Equal(0.5, withCosine.Single(s => s.Text == "Gamma delta.").Cosine is { } c ? c * 0.5 : -1, 9);
        Assert.Throws<ArgumentException>(() => SentenceRanker.Rank("alpha", hits, [0.5]));
    }

    private static readonly TiktokenTokenCounter Counter = new();

    [Fact]
    public void Broker_keeps_the_best_sentence_of_a_memory_chunk_under_a_tight_budget()
    {
        var memory = "The dog park opens at eight. " +
                     "Rate limiting on the login endpoint uses a token bucket of ten requests per minute. " +
                     "The office coffee machine was repaired last week by a technician from the supplier. " +
                     "Lunch is usually served at noon in the big meeting room on the second floor.";
        var blocks = new List<ContextBlock>
        {
            new("memory:1", ContextBlockKind.Memory, memory, 0.5),
            new("task", ContextBlockKind.Task, "Add rate limiting to the login endpoint.", 1.0),
        };
        var broker = new ContextBroker(Counter, options: new ContextBrokerOptions { CacheWindow = TimeSpan.Zero });
        var full = broker.Assemble(new ContextRequest(blocks, 100_000));

        var result = broker.Assemble(new ContextRequest(blocks, full.TotalTokens - 25));

        var block = Assert.Single(result.Blocks, b => b.Id == "memory:1");
        Assert.True(block.Kept, block.Reason);
        Assert.StartsWith("over budget: cut to", block.Reason, StringComparison.Ordinal);
        Assert.Contains("Rate limiting on the login endpoint uses a token bucket", result.Prompt, StringComparison.Ordinal);
        Assert.DoesNotContain("coffee machine", result.Prompt, StringComparison.Ordinal);
        Assert.Contains(ContextBroker.ElisionMarker, result.Prompt, StringComparison.Ordinal);
        Assert.True(result.TotalTokens <= full.TotalTokens - 25);
        // Kept sentences stay in reading order.
        var kept = result.Prompt[result.Prompt.IndexOf("[memory:1]", StringComparison.Ordinal)..];
        if (kept.Contains("dog park", StringComparison.Ordinal))
            Assert.True(kept.IndexOf("dog park", StringComparison.Ordinal) < kept.IndexOf("Rate limiting", StringComparison.Ordinal));
    }

    [Fact]
    public void Broker_drops_the_chunk_when_not_even_its_best_sentence_fits()
    {
        var blocks = new List<ContextBlock>
        {
            new("memory:1", ContextBlockKind.Memory, "Rate limiting uses a token bucket of ten requests per minute. The coffee machine works again.", 0.5),
            new("task", ContextBlockKind.Task, "Add rate limiting to the login endpoint.", 1.0),
        };

        var result = new ContextBroker(Counter).Assemble(new ContextRequest(blocks, 20));

        Assert.False(Assert.Single(result.Blocks, b => b.Id == "memory:1").Kept);
        Assert.DoesNotContain("token bucket", result.Prompt, StringComparison.Ordinal);
    }
}
