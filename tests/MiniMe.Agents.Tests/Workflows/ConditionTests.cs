using System.Text.Json.Nodes;
using MiniMe.Workflows;

namespace MiniMe.Agents.Tests.Workflows;

public sealed class ConditionTests
{
    private static readonly JsonObject Data = JsonNode.Parse("""{"tests":{"exit_code":1,"stdout":"2 failed","tags":["slow","db"]},"strict":false,"name":"b"}""")!.AsObject();

    private static JsonNode? Resolve(IReadOnlyList<string> path)
    {
        JsonNode? node = Data;
        foreach (var p in path) node = node?[p];
        return node;
    }

    [Theory]
    [InlineData("tests.exit_code != 0", true)]
    [InlineData("tests.exit_code == 1 && !strict", true)]
    [InlineData("tests.exit_code >= 2 || strict", false)]
    [InlineData("tests.stdout contains 'failed'", true)]
    [InlineData("tests.tags contains \"db\" && !(tests.exit_code < 1)", true)]
    [InlineData("name < 'c' && name > 'a'", true)]
    [InlineData("missing.field == null", true)]
    [InlineData("!(tests.exit_code <= 0)", true)]
    [InlineData("tests.stdout", true)]
    [InlineData("strict || false", false)]
    public void Conditions_evaluate_over_the_outputs(string condition, bool expected) =>
        Assert.Equal(expected, Condition.Evaluate(Condition.Parse(condition), Resolve));

    [Fact]
    public void Numbers_compare_whatever_their_stored_type()
    {
        var values = new JsonObject { ["i"] = 0, ["l"] = 2L, ["d"] = 2.0, ["m"] = 2.5m };
        bool Eval(string c) => Condition.Evaluate(Condition.Parse(c), p => values[p[0]]);
        Assert.True(Eval("i == 0 && l == d && m > l && i < 1"));
        Assert.False(Eval("i"));
    }

    [Theory]
    [InlineData("a ==", 4, "expected a value")]
    [InlineData("(a == 1", 7, "expected ')'")]
    [InlineData("a = 1", 2, "'=' is not an operator; use ==")]
    [InlineData("a and b", 2, "'and' is not an operator; use &&")]
    [InlineData("a == 1 == 2", 7, "comparisons do not chain")]
    [InlineData("'open", 0, "a string is not closed")]
    public void Bad_syntax_names_the_place_and_the_reason(string condition, int offset, string reason)
    {
        var e = Assert.Throws<ConditionSyntaxException>(() => Condition.Parse(condition));
        Assert.Equal(offset, e.Offset);
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Templates_keep_a_whole_reference_typed_and_write_embedded_ones_as_text()
    {
        var args = JsonNode.Parse("""{"argv":["echo","{{tests.tags}}","code {{tests.exit_code}}: {{tests.stdout}}"]}""");
        var rendered = Templates.RenderValue(args, Resolve)!;
        Assert.Equal("""{"argv":["echo",["slow","db"],"code 1: 2 failed"]}""", rendered.ToJsonString());
    }
}
