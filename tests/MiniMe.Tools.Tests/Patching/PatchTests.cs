using System.Text;
using MiniMe.Tools.Patching;

namespace MiniMe.Tools.Tests.Patching;

public sealed class PatchTests
{
    private static string Apply(string original, string patch, string? path = "f.txt") =>
        PatchApplier.Apply(TextLines.Parse(original), UnifiedDiffParser.Parse(patch, path).Single()).ToString();

    [Fact]
    public void Applies_a_git_style_patch_with_two_hunks()
    {
        var original = string.Join('\n', Enumerable.Range(1, 20).Select(i => $"line {i}")) + "\n";
        var patch = """
            diff --git a/f.txt b/f.txt
            index 1111111..2222222 100644
            --- a/f.txt
            +++ b/f.txt
            @@ -2,3 +2,3 @@
             line 2
            -line 3
            +line three
             line 4
            @@ -17,3 +17,4 @@
             line 17
             line 18
            +line 18.5
             line 19
            """ + "\n";
        var result = Apply(original, patch, null);
        Assert.Contains("line three\nline 4", result, StringComparison.Ordinal);
        Assert.Contains("line 18\nline 18.5\nline 19", result, StringComparison.Ordinal);
        Assert.DoesNotContain("line 3\n", result, StringComparison.Ordinal);
    }

    [Fact]
    public void Finds_a_hunk_that_moved_as_gnu_patch_does()
    {
        var original = "header\nextra 1\nextra 2\na\nb\nc\n";
        var result = Apply(original, "@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n");
        Assert.Equal("header\nextra 1\nextra 2\na\nB\nc\n", result);
    }

    [Fact]
    public void A_hunk_that_does_not_apply_names_the_hunk_the_line_and_both_texts()
    {
        var original = "one\ntwo\nthree\nfour\nfive\nsix\nseven\n";
        var patch = "--- a/src/app.cs\n+++ b/src/app.cs\n@@ -1,2 +1,2 @@\n-one\n+ONE\n two\n@@ -5,2 +5,2 @@\n five\n-SIX\n+6\n";
        var e = Assert.Throws<PatchException>(() => PatchApplier.Apply(TextLines.Parse(original), UnifiedDiffParser.Parse(patch).Single()));
        Assert.Contains("Hunk 2 of src/app.cs (@@ -5,2 +5,2 @@, patch line 7) does not apply", e.Message, StringComparison.Ordinal);
        Assert.Contains("line 6 of the file is 'six' but the hunk expects 'SIX' (patch line 9)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_hunk_past_the_end_of_the_file_says_how_long_the_file_is()
    {
        var e = Assert.Throws<PatchException>(() => Apply("a\nb\n", "@@ -5,1 +5,1 @@\n-e\n+E\n"));
        Assert.Contains("the file has 2 lines", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("@@ -1,3 +1,3 @@\n a\n-b\n", "cut short")]
    [InlineData("@@ -x +1 @@\n a\n", "is not a hunk header")]
    [InlineData("--- a/x\n+++ b/y\n@@ -1 +1 @@\n-a\n+b\n", "renames")]
    [InlineData("no hunks here\n", "no hunks")]
    [InlineData("--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n a\n?b\n+c\n", "starts with '?'")]
    [InlineData("--- a/x\n+++ b/x\nGIT binary patch\n", "binary patches")]
    public void Malformed_patches_are_reported(string patch, string expected)
    {
        var e = Assert.Throws<PatchException>(() => UnifiedDiffParser.Parse(patch, "x"));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Header_less_hunks_need_a_path()
    {
        var e = Assert.Throws<PatchException>(() => UnifiedDiffParser.Parse("@@ -1 +1 @@\n-a\n+b\n"));
        Assert.Contains("pass the file's path", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Creation_and_deletion_use_dev_null()
    {
        var create = UnifiedDiffParser.Parse("--- /dev/null\n+++ b/new.txt\n@@ -0,0 +1,2 @@\n+x\n+y\n").Single();
        Assert.True(create.Creates);
        Assert.Equal("x\ny\n", PatchApplier.Apply(TextLines.Empty, create).ToString());
        var delete = UnifiedDiffParser.Parse("--- a/old.txt\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-x\n-y\n").Single();
        Assert.True(delete.Deletes);
        Assert.Empty(PatchApplier.Apply(TextLines.Parse("x\ny\n"), delete).Lines);
    }

    [Fact]
    public void Missing_final_newline_markers_are_honoured_and_crlf_is_kept()
    {
        Assert.Equal("a\nB", Apply("a\nb\n", "@@ -1,2 +1,2 @@\n a\n-b\n+B\n\\ No newline at end of file\n"));
        Assert.Equal("a\nB\n", Apply("a\nb", "@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+B\n"));
        Assert.Equal("a\r\nB\r\nc\r\n", Apply("a\r\nb\r\nc\r\n", "@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"));
    }

    [Fact]
    public void Written_diffs_apply_back_to_the_new_text()
    {
        var random = new Random(4242);
        string[] words = ["alpha", "beta", "gamma", "delta", "", "  indented", "}", "{"];
        for (var round = 0; round < 300; round++)
        {
            var oldLines = Enumerable.Range(0, random.Next(0, 40)).Select(_ => words[random.Next(words.Length)]).ToList();
            var newLines = new List<string>(oldLines);
            for (var edit = random.Next(0, 6); edit > 0; edit--)
            {
                var at = random.Next(0, newLines.Count + 1);
                switch (random.Next(3))
                {
                    case 0: newLines.Insert(at, words[random.Next(words.Length)] + round); break;
                    case 1 when at < newLines.Count: newLines.RemoveAt(at); break;
                    case 2 when at < newLines.Count: newLines[at] = "changed " + round; break;
                }
            }
            var oldText = Join(oldLines, random.Next(4) != 0);
            var newText = Join(newLines, random.Next(4) != 0);
            var diff = UnifiedDiffWriter.Write(oldText, newText, "f.txt");
            if (oldText == newText)
            {
                Assert.Equal("", diff);
                continue;
            }
            FilePatch patch;
            try { patch = UnifiedDiffParser.Parse(diff).Single(); }
            catch (PatchException e) { throw new InvalidOperationException($"round {round}: {e.Message} old {Show(oldText)} new {Show(newText)} diff {Show(diff)}", e); }
            var applied = PatchApplier.Apply(TextLines.Parse(oldText), patch).ToString();
            Assert.True(newText == applied, $"round {round}: old {Show(oldText)} new {Show(newText)} diff {Show(diff)} applied {Show(applied)}");
        }
    }

    [Fact]
    public void Writer_marks_created_and_deleted_files()
    {
        Assert.StartsWith("--- /dev/null\n+++ b/n.txt\n@@ -0,0 +1 @@\n+x\n", UnifiedDiffWriter.Write(null, "x\n", "n.txt"), StringComparison.Ordinal);
        Assert.StartsWith("--- a/n.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n", UnifiedDiffWriter.Write("x\n", null, "n.txt"), StringComparison.Ordinal);
    }

    private static string Show(string text) => System.Text.Json.JsonSerializer.Serialize(text);

    private static string Join(List<string> lines, bool finalNewline)
    {
        if (lines.Count == 0) return "";
        var sb = new StringBuilder(string.Join('\n', lines));
        if (finalNewline) sb.Append('\n');
        return sb.ToString();
    }
}
