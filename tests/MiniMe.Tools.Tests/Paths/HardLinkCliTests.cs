using MiniMe.Cli;
using MiniMe.Cli.Hosting;
using MiniMe.Tools.Tests.Support;

namespace MiniMe.Tools.Tests.Paths;

/// <summary>`minime tool run read_file` on a hard link to .env, end to end in process on a real workspace.</summary>
public sealed class HardLinkCliTests : IDisposable
{
    private readonly string _project = Directory.CreateTempSubdirectory("minime-cli-links-").FullName;
    private readonly string _trust = Directory.CreateTempSubdirectory("minime-cli-links-trust-").FullName;

    public void Dispose()
    {
        Directory.Delete(_project, recursive: true);
        Directory.Delete(_trust, recursive: true);
    }

    [Fact]
    public async Task Tool_run_read_file_on_a_hard_link_to_the_env_file_is_refused_in_one_line_without_the_secret()
    {
        Directory.CreateDirectory(Path.Join(_project, "src"));
        File.WriteAllText(Path.Join(_project, ".env"), "API_KEY=hunter2-not-real\n");
        LinuxFiles.HardLink(Path.Join(_project, ".env"), Path.Join(_project, "src", "notes.txt"));
        Assert.Equal(0, (await RunAsync("init", "--name", "tester")).Code);

        var (code, output, error) = await RunAsync("tool", "run", "read_file", "--args", """{"path": "src/notes.txt"}""", "--yes");

        Assert.Equal(1, code);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("error: refused: 'src/notes.txt' has 2 hard links; tools refuse files with more than one name, since another name may be a secret or outside the tools root.", line);
        Assert.DoesNotContain("hunter2", output + error, StringComparison.Ordinal);
    }

    private async Task<(int Code, string Out, string Error)> RunAsync(params string[] args)
    {
        var console = new CapturedConsole();
        var error = new StringWriter();
        var context = new CliContext(console.Console, error, interactive: false, new StringReader(""), inputInteractive: false, trustFile: Path.Join(_trust, "trust.json"));
        var code = await CliApp.RunAsync([.. args, "--home", Path.Join(_project, ".minime")], context);
        return (code, console.Text, error.ToString());
    }
}
