using MiniMe.Context;

namespace MiniMe.Tests.Context;

public sealed class ContextBrokerTests
{
    private static readonly TiktokenTokenCounter Counter = new();
    private static readonly DateTimeOffset Start = new(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private static string Words(string seed, int count) =>
        string.Join(' ', Enumerable.Range(0, count).Select(i => $"{seed}{i % 7}"));

    private static ContextBlock Block(string id, ContextBlockKind kind, double weight, int words = 40) =>
        new(id, kind, $"{id} " + Words(id.Replace(":", "", StringComparison.Ordinal), words), weight);

    private static ContextBlock Task(string text = "Add rate limiting to the login endpoint.") =>
        new("task", ContextBlockKind.Task, text, 1.0);

    private static List<ContextBlock> FullSet() =>
    [
        Task(),
        Block("memory:7", ContextBlockKind.Memory, 0.4),
        Block("history:1", ContextBlockKind.History, 0.5),
        Block("persona", ContextBlockKind.Persona, 1.0, 20),
        Block("memory:12", ContextBlockKind.Memory, 0.9),
        Block("tools", ContextBlockKind.ToolSchemas, 0.6),
        Block("principle:clarity", ContextBlockKind.Principles, 0.8, 15),
        Block("domain", ContextBlockKind.DomainConstraints, 0.7),
        Block("memory:3", ContextBlockKind.Memory, 0.1),
    ];

    private static ContextBroker NewBroker(TimeProvider? time = null, ContextBrokerOptions? options = null) =>
        new(Counter, time ?? new FakeTimeProvider(Start), options);

    [Fact]
    public void Lays_blocks_out_in_kind_order_with_headers_and_memory_ids()
    {
        var result = NewBroker().Assemble(new ContextRequest(FullSet(), 100_000));
        var p = result.Prompt;

        string[] headers = ["## Persona", "## Principles", "## Domain constraints", "## Tools", "## Memory", "## History", "## Task"];
        var positions = headers.Select(h => p.IndexOf(h, StringComparison.Ordinal)).ToList();
        Assert.All(positions, i => Assert.True(i >= 0));
        Assert.Equal(positions.Order(), positions);
        Assert.True(p.IndexOf("[memory:12]", StringComparison.Ordinal) < p.IndexOf("[memory:7]", StringComparison.Ordinal));
        Assert.True(p.IndexOf("[memory:7]", StringComparison.Ordinal) < p.IndexOf("[memory:3]", StringComparison.Ordinal));
        Assert.EndsWith("Add rate limiting to the login endpoint.", p, StringComparison.Ordinal);
        Assert.All(result.Blocks, b => Assert.True(b.Kept && b.Reason is not null && b.Tokens > 0));
        Assert.Equal(Counter.Count(p), result.TotalTokens);
        Assert.Equal("o200k_base", result.TokenizerName);
        Assert.False(result.FromCache);
    }

    [Fact]
    public void Drops_lowest_weight_memory_first()
    {
        var broker = NewBroker(options: new ContextBrokerOptions { CacheWindow = TimeSpan.Zero });
        var full = broker.Assemble(new ContextRequest(FullSet(), 100_000));

        var result = broker.Assemble(new ContextRequest(FullSet(), full.TotalTokens - 5));

        var dropped = Assert.Single(result.Blocks, b => !b.Kept);
        Assert.Equal("memory:3", dropped.Id);
        Assert.DoesNotContain("[memory:3]", result.Prompt, StringComparison.Ordinal);
        Assert.Contains("[memory:7]", result.Prompt, StringComparison.Ordinal);
    }

    [Fact]
    public void Records_dropped_blocks_with_reasons()
    {
        var result = NewBroker().Assemble(new ContextRequest(FullSet(), 200));

        var dropped = result.Blocks.Where(b => !b.Kept).ToList();
        Assert.NotEmpty(dropped);
        Assert.All(dropped, b =>
        {
            Assert.StartsWith("over budget: weight", b.Reason, StringComparison.Ordinal);
            Assert.True(b.Tokens > 0, "dropped blocks still report what they would have cost");
        });
        Assert.Contains(dropped, b => b.Id == "memory:3" && b.Reason!.Contains("0.10", StringComparison.Ordinal));
        // Middle blocks go in weight order: every dropped middle block weighs no more than any kept one.
        var keptMiddle = result.Blocks.Where(b => b.Kept && b.Kind is not (ContextBlockKind.Persona or ContextBlockKind.Principles or ContextBlockKind.Task));
        Assert.All(keptMiddle, k => Assert.All(dropped, d => Assert.True(d.Weight <= k.Weight)));
    }

    [Fact]
    public void Keeps_the_task_under_a_tight_budget()
    {
        var result = NewBroker().Assemble(new ContextRequest(FullSet(), 25));

        var task = Assert.Single(result.Blocks, b => b.Kind == ContextBlockKind.Task);
        Assert.True(task.Kept);
        Assert.Contains("Add rate limiting to the login endpoint.", result.Prompt, StringComparison.Ordinal);
        Assert.True(result.TotalTokens <= 25, $"{result.TotalTokens} <= 25");
        Assert.All(result.Blocks.Where(b => b.Kind is not (ContextBlockKind.Task or ContextBlockKind.Persona or ContextBlockKind.Principles)), b => Assert.False(b.Kept));
    }

    [Fact]
    public void Keeps_the_task_even_when_it_alone_exceeds_the_budget()
    {
        var longTask = Task("Implement " + Words("step", 200));

        var result = NewBroker().Assemble(new ContextRequest([.. FullSet().Where(b => b.Kind != ContextBlockKind.Task), longTask], 50));

        Assert.True(Assert.Single(result.Blocks, b => b.Kind == ContextBlockKind.Task).Kept);
        Assert.Contains(longTask.Text, result.Prompt, StringComparison.Ordinal);
        Assert.Equal(Counter.Count(result.Prompt), result.TotalTokens);
        Assert.All(result.Blocks.Where(b => b.Kind != ContextBlockKind.Task), b => Assert.False(b.Kept));
    }

    [Theory]
    [InlineData(30)]
    [InlineData(60)]
    [InlineData(90)]
    [InlineData(150)]
    [InlineData(233)]
    [InlineData(317)]
    [InlineData(400)]
    public void Total_tokens_stay_within_a_feasible_budget(int budget)
    {
        var result = NewBroker().Assemble(new ContextRequest(FullSet(), budget));

        Assert.True(result.TotalTokens <= budget, $"{result.TotalTokens} <= {budget}");
        Assert.Equal(Counter.Count(result.Prompt), result.TotalTokens);
        Assert.Equal(budget, result.BudgetTokens);
        Assert.Contains(result.Blocks, b => b.Kind == ContextBlockKind.Task && b.Kept);
    }

    [Fact]
    public void Truncates_the_lowest_weight_head_block_when_head_and_task_exceed_the_budget()
    {
        List<ContextBlock> blocks =
        [
            new("persona", ContextBlockKind.Persona, "You are calm and direct. " + Words("voice", 40), 1.0),
            new("principle:clarity", ContextBlockKind.Principles, "Clarity over cleverness. " + Words("clear", 300), 0.4),
            Block("memory:1", ContextBlockKind.Memory, 0.9),
            Task(),
        ];

        var result = NewBroker().Assemble(new ContextRequest(blocks, 400));

        var principle = Assert.Single(result.Blocks, b => b.Id == "principle:clarity");
        var persona = Assert.Single(result.Blocks, b => b.Id == "persona");
        Assert.True(principle.Kept);
        Assert.StartsWith("truncated", principle.Reason, StringComparison.Ordinal);
        Assert.Equal("head: kept", persona.Reason);
        Assert.False(Assert.Single(result.Blocks, b => b.Id == "memory:1").Kept);
        Assert.Contains("Clarity over cleverness.", result.Prompt, StringComparison.Ordinal);
        Assert.Contains(ContextBroker.TruncationMarker, result.Prompt, StringComparison.Ordinal);
        Assert.Contains("Add rate limiting to the login endpoint.", result.Prompt, StringComparison.Ordinal);
        Assert.True(result.TotalTokens <= 400, $"{result.TotalTokens} <= 400");
    }

    [Fact]
    public void Drops_a_head_block_too_small_to_truncate_and_cuts_the_next_one()
    {
        List<ContextBlock> blocks =
        [
            new("persona", ContextBlockKind.Persona, "You are calm and direct. " + Words("voice", 300), 1.0),
            new("principle:clarity", ContextBlockKind.Principles, "Clarity over cleverness. " + Words("clear", 300), 0.4),
            Task(),
        ];

        var result = NewBroker().Assemble(new ContextRequest(blocks, 300));

        var principle = Assert.Single(result.Blocks, b => b.Id == "principle:clarity");
        var persona = Assert.Single(result.Blocks, b => b.Id == "persona");
        Assert.False(principle.Kept);
        Assert.Contains("head block dropped", principle.Reason, StringComparison.Ordinal);
        Assert.True(persona.Kept);
        Assert.StartsWith("truncated", persona.Reason, StringComparison.Ordinal);
        Assert.StartsWith("## Persona\nYou are calm and direct.", result.Prompt, StringComparison.Ordinal);
        Assert.True(result.TotalTokens <= 300, $"{result.TotalTokens} <= 300");
    }

    [Fact]
    public void Serves_identical_requests_from_cache_within_the_window()
    {
        var time = new FakeTimeProvider(Start);
        var broker = NewBroker(time);
        var first = broker.Assemble(new ContextRequest(FullSet(), 300));

        time.Advance(TimeSpan.FromSeconds(29));
        var second = broker.Assemble(new ContextRequest(FullSet(), 300));

        Assert.False(first.FromCache);
        Assert.True(second.FromCache);
        Assert.Equal(first.Prompt, second.Prompt);
    }

    [Fact]
    public void Misses_the_cache_after_the_window()
    {
        var time = new FakeTimeProvider(Start);
        var broker = NewBroker(time);
        broker.Assemble(new ContextRequest(FullSet(), 300));

        time.Advance(TimeSpan.FromSeconds(31));

        Assert.False(broker.Assemble(new ContextRequest(FullSet(), 300)).FromCache);
    }

    [Fact]
    public void Misses_the_cache_when_content_or_budget_differ()
    {
        var broker = NewBroker();
        broker.Assemble(new ContextRequest(FullSet(), 300));

        var otherBudget = broker.Assemble(new ContextRequest(FullSet(), 301));
        var otherText = broker.Assemble(new ContextRequest([.. FullSet().Where(b => b.Kind != ContextBlockKind.Task), Task("Something else.")], 300));

        Assert.False(otherBudget.FromCache);
        Assert.False(otherText.FromCache);
    }

    [Fact]
    public void Cache_is_bounded()
    {
        var broker = NewBroker(options: new ContextBrokerOptions { CacheCapacity = 2 });
        broker.Assemble(new ContextRequest([Task("one")], 100));
        broker.Assemble(new ContextRequest([Task("two")], 100));
        broker.Assemble(new ContextRequest([Task("three")], 100));

        Assert.False(broker.Assemble(new ContextRequest([Task("one")], 100)).FromCache);
        Assert.True(broker.Assemble(new ContextRequest([Task("three")], 100)).FromCache);
    }
}
