using System.Text;
using Microsoft.Extensions.AI;
using Microsoft.ML.Tokenizers;
using MiniMe.Agents;
using MiniMe.Context;
using MiniMe.Masks;
using MiniMe.ModelCalls;

namespace MiniMe.Tests.Context;

/// <summary>
/// The tiktoken counter's cache: counts per paragraph, kept by content hash, equal to the tokenizer's
/// count of the whole text (the numbers traces and budgets used before the cache), bounded, and only
/// the paragraphs that changed are counted again.
/// </summary>
public sealed class TokenCounterCacheTests
{
    private static readonly Tokenizer Reference = TiktokenTokenizer.CreateForEncoding("o200k_base");

    [Fact]
    public void Agent_prompts_count_exactly_what_the_tokenizer_counts_for_the_whole_text()
    {
        var cached = new TiktokenTokenCounter();
        var request = new TeamRequest("run-1", "Add a greeting helper with tests",
            "## Persona\nYou are MiniMe.\n\n## Memory\n" + string.Join("\n", Enumerable.Range(0, 30).Select(i => $"- memory {i}: caches for {i} minutes.")) + "\n\n## Task\nAdd it.",
            new MaskWeights(), [], new Dictionary<string, IReadOnlyList<MiniMe.Identity.WeightedPrinciple>>(), new RunMeter(100_000));
        IReadOnlyList<ChatMessage>[] prompts =
        [
            AgentPrompts.Architect(request),
            AgentPrompts.Builder(request, new System.Text.Json.Nodes.JsonObject { ["summary"] = "plan" }, null, null),
            AgentPrompts.Integrator(request, null, new System.Text.Json.Nodes.JsonObject { ["summary"] = "build" }, null),
        ];
        foreach (var prompt in prompts)
            for (var repeat = 0; repeat < 2; repeat++)   // the second time from the cache
            {
                Assert.Equal(prompt.Sum(m => Reference.CountTokens(m.Text) + ModelUsageChatClient.MessageOverheadTokens), ModelUsageChatClient.EstimatePrompt(cached, prompt));
                foreach (var message in prompt) Assert.Equal(Reference.CountTokens(message.Text), cached.Count(message.Text));
            }
    }

    [Fact]
    public void Random_texts_full_of_paragraph_breaks_count_the_same_as_the_whole_text()
    {
        // The characters that decide where o200k's pre-tokenizer splits: letters of both cases, digits,
        // white space of every kind, '/', punctuation, an apostrophe (contractions), non-Latin letters.
        string[] pieces = ["\n\n", "\n\n", "\n", "\r\n", " ", "  ", "\t", "/", ".", "#", "'s", "a", "Word", "ABC", "12345", "é", "中文", "\u00a0", "-", "{\"k\":1}", "\n\n/", "\n\n ", "<|endoftext|>", "🙂"];
        var random = new Random(18);
        var cached = new TiktokenTokenCounter(cacheCapacity: 64);
        for (var n = 0; n < 3000; n++)
        {
            var text = new StringBuilder();
            for (var k = random.Next(1, 40); k > 0; k--) text.Append(pieces[random.Next(pieces.Length)]);
            var s = text.ToString();
            Assert.True(Reference.CountTokens(s) == cached.Count(s), $"count differs for {System.Text.Json.JsonSerializer.Serialize(s)}");
        }
    }

    [Fact]
    public void Only_the_paragraph_that_changed_is_counted_again()
    {
        var counter = new TiktokenTokenCounter();
        var context = "## Memory\n- the service caches for 5 minutes.\n\n## Principles\n- Prefer small steps.";
        counter.Count(context + "\n\nTask: first");
        var entries = counter.CachedEntries;
        Assert.Equal(3, entries);   // three paragraphs

        counter.Count(context + "\n\nTask: second");   // the context block is unchanged
        Assert.Equal(entries + 1, counter.CachedEntries);
        counter.Count(context + "\n\nTask: second");
        Assert.Equal(entries + 1, counter.CachedEntries);
    }

    [Fact]
    public void The_cache_is_bounded_and_still_counts_right_after_it_rotates()
    {
        var counter = new TiktokenTokenCounter(cacheCapacity: 8);
        for (var i = 0; i < 200; i++)
        {
            var text = $"paragraph {i} about caching\n\nand a second one {i * 7}";
            Assert.Equal(Reference.CountTokens(text), counter.Count(text));
            Assert.InRange(counter.CachedEntries, 0, 16);
        }
    }

    [Fact]
    public void Without_a_cache_nothing_is_kept()
    {
        var counter = new TiktokenTokenCounter(cacheCapacity: 0);
        Assert.Equal(Reference.CountTokens("a\n\nb"), counter.Count("a\n\nb"));
        Assert.Equal(0, counter.CachedEntries);
        Assert.Equal(0, counter.Count(""));
    }

    [Fact]
    public async Task Threads_counting_at_once_get_the_tokenizer_counts()
    {
        var counter = new TiktokenTokenCounter(cacheCapacity: 32);   // small: rotations happen while threads count
        var texts = Enumerable.Range(0, 300).Select(i => $"## Block {i % 40}\nline {i % 13} of text\n\nshared paragraph {i % 7}\n\nTask {i}: do it.").ToArray();
        var expected = texts.Select(t => Reference.CountTokens(t)).ToArray();
        var workers = Enumerable.Range(0, 8).Select(w => Task.Run(() =>
        {
            for (var round = 0; round < 5; round++)
                for (var i = w; i < texts.Length; i += 3)
                    Assert.Equal(expected[i], counter.Count(texts[i]));
        }));
        await Task.WhenAll(workers);
        Assert.InRange(counter.CachedEntries, 0, 64 + 8);
    }
}
