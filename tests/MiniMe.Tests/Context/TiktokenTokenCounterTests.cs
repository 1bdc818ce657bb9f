using MiniMe.Context;

namespace MiniMe.Tests.Context;

public sealed class TiktokenTokenCounterTests
{
    private readonly TiktokenTokenCounter _counter = new();

    [Fact]
    public void Counts_hello_world_as_two_o200k_tokens() => Assert.Equal(2, _counter.Count("hello world"));

    [Fact]
    public void Empty_text_has_no_tokens() => Assert.Equal(0, _counter.Count(""));

    [Fact]
    public void Longer_text_has_more_tokens() =>
        Assert.True(_counter.Count("The context broker assembles prompt blocks under a token budget.") > 8);

    [Fact]
    public void Is_named_for_its_encoding() => Assert.Equal("o200k_base", _counter.Name);
}
