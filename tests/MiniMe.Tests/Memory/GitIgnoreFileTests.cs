using MiniMe.Memory.Import;

namespace MiniMe.Tests.Memory;

public class GitIgnoreFileTests
{
    private static IgnoreVerdict Verdict(string patterns, string path, bool isDirectory = false) =>
        GitIgnoreFile.Parse(patterns, "/repo", "/repo/.gitignore").Match(path, isDirectory, out _);

    [Theory]
    [InlineData("*.log", "app.log", false, nameof(IgnoreVerdict.Ignored))]
    [InlineData("*.log", "deep/er/app.log", false, nameof(IgnoreVerdict.Ignored))]
    [InlineData("*.log", "app.log.txt", false, nameof(IgnoreVerdict.NoMatch))]
    [InlineData("build/", "build", true, nameof(IgnoreVerdict.Ignored))]
    [InlineData("build/", "src/build", true, nameof(IgnoreVerdict.Ignored))]
    [InlineData("build/", "build", false, nameof(IgnoreVerdict.NoMatch))]
    [InlineData("/build", "build", true, nameof(IgnoreVerdict.Ignored))]
    [InlineData("/build", "x/build", true, nameof(IgnoreVerdict.NoMatch))]
    [InlineData("/build", "build2/build", true, nameof(IgnoreVerdict.NoMatch))]
    [InlineData("doc/*.html", "doc/a.html", false, nameof(IgnoreVerdict.Ignored))]
    [InlineData("doc/*.html", "doc/x/a.html", false, nameof(IgnoreVerdict.NoMatch))]
    [InlineData("doc/*.html", "x/doc/a.html", false, nameof(IgnoreVerdict.NoMatch))]
    [InlineData("**/logs", "a/b/logs", true, nameof(IgnoreVerdict.Ignored))]
    [InlineData("**/logs/*.txt", "logs/a.txt", false, nameof(IgnoreVerdict.Ignored))]
    [InlineData("a/**/b", "a/b", false, nameof(IgnoreVerdict.Ignored))]
    [InlineData("a/**/b", "a/x/y/b", false, nameof(IgnoreVerdict.Ignored))]
    [InlineData("abc/**", "abc/d/e", false, nameof(IgnoreVerdict.Ignored))]
    [InlineData("abc/**", "abc", true, nameof(IgnoreVerdict.NoMatch))]
    [InlineData("fo?.md", "foo.md", false, nameof(IgnoreVerdict.Ignored))]
    [InlineData("fo?.md", "fo/.md", false, nameof(IgnoreVerdict.NoMatch))]
    [InlineData("[ab]*.md", "b1.md", false, nameof(IgnoreVerdict.Ignored))]
    [InlineData("[!ab]*.md", "b1.md", false, nameof(IgnoreVerdict.NoMatch))]
    [InlineData("[a-c].md", "b.md", false, nameof(IgnoreVerdict.Ignored))]
    [InlineData("\\#notes.md", "#notes.md", false, nameof(IgnoreVerdict.Ignored))]
    [InlineData("\\!bang.md", "!bang.md", false, nameof(IgnoreVerdict.Ignored))]
    [InlineData("trailing.md   ", "trailing.md", false, nameof(IgnoreVerdict.Ignored))]
    [InlineData("space\\ ", "space ", false, nameof(IgnoreVerdict.Ignored))]
    [InlineData("*.log\n!keep.log", "keep.log", false, nameof(IgnoreVerdict.Included))]
    [InlineData("!keep.log\n*.log", "keep.log", false, nameof(IgnoreVerdict.Ignored))]
    [InlineData("# comment\n\n   \n", "comment", false, nameof(IgnoreVerdict.NoMatch))]
    [InlineData("[z-a].md\nok.md", "ok.md", false, nameof(IgnoreVerdict.Ignored))]
    [InlineData("[unclosed", "[unclosed", false, nameof(IgnoreVerdict.Ignored))]
    public void Patterns_follow_gits_rules(string patterns, string path, bool isDirectory, string expected) =>
        Assert.Equal(Enum.Parse<IgnoreVerdict>(expected), Verdict(patterns, path, isDirectory));

    [Fact]
    public void The_matching_pattern_is_named_with_its_line()
    {
        var file = GitIgnoreFile.Parse("# header\n*.tmp\n", "/repo", "/repo/.gitignore");
        Assert.Equal(IgnoreVerdict.Ignored, file.Match("x.tmp", false, out var pattern));
        Assert.Equal("*.tmp (/repo/.gitignore:2)", pattern);
    }

    [Fact]
    public void A_hostile_pattern_cannot_stall_the_match()
    {
        // MAB.DotIgnore 3.0.1 (backtracking regexes) did not finish this within a minute.
        var verdict = Verdict("*a*a*a*a*a*a*a*a*a*a*a*b", new string('a', 5000));
        Assert.Equal(IgnoreVerdict.NoMatch, verdict);
    }
}
