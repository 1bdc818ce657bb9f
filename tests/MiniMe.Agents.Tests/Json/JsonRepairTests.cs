using MiniMe.Agents.Json;

namespace MiniMe.Agents.Tests.Json;

public class JsonRepairTests
{
    [Fact]
    public void ValidJsonNeedsNoRepair()
    {
        var result = JsonRepair.Read("""{"a": 1}""");
        Assert.Equal(1, result.Value!["a"]!.GetValue<int>());
        Assert.Empty(result.Repairs);
        Assert.Null(result.Error);
    }

    [Fact]
    public void StripsCodeFenceAndSurroundingProse()
    {
        var result = JsonRepair.Read("Here is the plan:\n```json\n{\"a\": \"x\"}\n```\nHope it helps.");
        Assert.Equal("x", result.Value!["a"]!.GetValue<string>());
        Assert.Contains("stripped a Markdown code fence", result.Repairs);
    }

    [Fact]
    public void TakesTheObjectOutOfProse()
    {
        var result = JsonRepair.Read("Sure! {\"a\": [1, 2]} That's all.");
        Assert.Equal(2, result.Value!["a"]!.AsArray().Count);
        Assert.Equal(["took the JSON object out of the surrounding text"], result.Repairs);
    }

    [Fact]
    public void RemovesTrailingCommasButNotInsideStrings()
    {
        var result = JsonRepair.Read("{\"a\": [1, 2,], \"s\": \"x,]\",}");
        Assert.Null(result.Error);
        Assert.Equal("x,]", result.Value!["s"]!.GetValue<string>());
        Assert.Equal(2, result.Value["a"]!.AsArray().Count);
        Assert.Contains("removed trailing commas", result.Repairs);
    }

    [Fact]
    public void RemovesCommentsButNotUrlsInStrings()
    {
        var result = JsonRepair.Read("{\n  // the endpoint\n  \"url\": \"http://x/y\", /* block */ \"n\": 1\n}");
        Assert.Null(result.Error);
        Assert.Equal("http://x/y", result.Value!["url"]!.GetValue<string>());
        Assert.Contains("removed comments", result.Repairs);
    }

    [Fact]
    public void BracesInsideStringsDoNotConfuseTheObjectBoundary()
    {
        var result = JsonRepair.Read("note {\"code\": \"if (x) { y(); }\", \"q\": \"say \\\"}\\\"\"} trailing");
        Assert.Null(result.Error);
        Assert.Equal("if (x) { y(); }", result.Value!["code"]!.GetValue<string>());
    }

    [Fact]
    public void TruncatedObjectIsNotGuessed()
    {
        var result = JsonRepair.Read("{\"summary\": \"half");
        Assert.Null(result.Value);
        Assert.Contains("not closed", result.Error);
    }

    [Theory]
    [InlineData("")]
    [InlineData("I cannot help with that.")]
    [InlineData("[1, 2]")]
    public void NoObjectIsAnError(string text)
    {
        var result = JsonRepair.Read(text);
        Assert.Null(result.Value);
        Assert.NotNull(result.Error);
    }
}
