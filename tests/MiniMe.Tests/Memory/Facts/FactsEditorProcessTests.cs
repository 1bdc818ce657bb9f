using System.Text.Json.Nodes;
using MiniMe.Tests.Support;

namespace MiniMe.Tests.Memory.Facts;

/// <summary>`minime facts edit ID` with no text opens $EDITOR: a real child process running a real editor script.</summary>
[Trait("Category", "Integration")]
public sealed class FactsEditorProcessTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    private string Home => _dir.Combine(".minime");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Edit_without_text_uses_the_editor_and_ignores_comment_lines()
    {
        Assert.Equal(0, (await MinimeProcess.RunAsync(["init", "--home", Home])).ExitCode);
        Assert.Equal(0, (await MinimeProcess.RunAsync(["remember", "uses Rider", "--home", Home])).ExitCode);
        // The "editor" keeps the comment line MiniMe wrote and replaces the text.
        var script = _dir.Write("editor.sh", "#!/bin/sh\ngrep '^#' \"$1\" > \"$1.keep\"\nprintf 'uses Neovim\\n' > \"$1\"\ncat \"$1.keep\" >> \"$1\"\nrm \"$1.keep\"\n");
        var editor = new Dictionary<string, string> { ["EDITOR"] = $"sh {script}", ["VISUAL"] = "" };

        var edit = await MinimeProcess.RunAsync(["facts", "edit", "1", "--home", Home], editor);

        Assert.True(edit.ExitCode == 0, edit.Error);
        var list = await MinimeProcess.RunAsync(["facts", "list", "--json", "--home", Home]);
        Assert.Equal("uses Neovim", JsonNode.Parse(list.Out)!.AsArray().Single()!["text"]!.GetValue<string>());

        // An editor that fails leaves the fact unchanged.
        var failing = new Dictionary<string, string> { ["EDITOR"] = "false", ["VISUAL"] = "" };
        var failed = await MinimeProcess.RunAsync(["facts", "edit", "1", "--home", Home], failing);
        Assert.Equal(2, failed.ExitCode);
        Assert.Contains("unchanged", failed.Error, StringComparison.Ordinal);
    }
}
