using MiniMe.Evidence;

namespace MiniMe.Tests.Evidence;

public sealed class EvidenceNodeTests
{
    [Theory]
    [InlineData("fact:12", "fact:12")]
    [InlineData("12", "fact:12")]
    [InlineData("#12", "fact:12")]
    [InlineData(" fact:#012 ", "fact:12")]
    [InlineData("chunk:40", "chunk:40")]
    [InlineData("doc:7", "doc:7")]
    [InlineData("document:7", "doc:7")]
    [InlineData("RUN:20261123-091502-3fa9c1", "run:20261123-091502-3fa9c1")]
    [InlineData("20261123-091502-3fa9c1", "run:20261123-091502-3fa9c1")]
    [InlineData("proposal:p_0011223344556677", "proposal:p_0011223344556677")]
    [InlineData("message:42", "message:42")]
    [InlineData("goal:g_12ab", "goal:g_12ab")]
    public void Ids_are_read_as_typed_and_as_other_commands_print_them(string typed, string node) =>
        Assert.Equal(node, EvidenceNode.Parse(typed).ToString());

    [Theory]
    [InlineData("", "it is empty")]
    [InlineData("fact:abc", "a fact id is a positive number")]
    [InlineData("chunk:-1", "a chunk id is a positive number")]
    [InlineData("chunk:0", "a chunk id is a positive number")]
    [InlineData("doc:99999999999999999999", "a doc id is a positive number")]
    [InlineData("run:../../etc/passwd", "a run id is 1 to 64 letters")]
    [InlineData("run:a b", "a run id is 1 to 64 letters")]
    [InlineData("fact:1;DROP TABLE facts", "a fact id is a positive number")]
    [InlineData("bogus:1", "'bogus' is not a kind")]
    [InlineData("../secret", "a bare id is a fact number")]
    public void Hostile_ids_are_refused_in_one_line_saying_what_is_accepted(string typed, string why)
    {
        var e = Assert.Throws<InvalidInputException>(() => EvidenceNode.Parse(typed));
        Assert.Contains(why, e.Message, StringComparison.Ordinal);
        Assert.Contains("use KIND:ID", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void A_very_long_id_is_shortened_in_the_error()
    {
        var e = Assert.Throws<InvalidInputException>(() => EvidenceNode.Parse("run:" + new string('x', 500)));
        Assert.True(e.Message.Length < 400, e.Message);
    }
}
