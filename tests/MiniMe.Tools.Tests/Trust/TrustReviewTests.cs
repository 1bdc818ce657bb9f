using MiniMe.Configuration;
using MiniMe.Security;
using MiniMe.Tools.Allowlist;
using MiniMe.Tools.Tests.Support;
using MiniMe.Tools.Trust;

namespace MiniMe.Tools.Tests.Trust;

/// <summary>What `minime trust` warns about before trusting, from real allowlist files.</summary>
public sealed class TrustReviewTests
{
    /// <summary>The review of a workspace with this allowlist; settings default to the bubblewrap sandbox and are changed after the workspace is built (a review builds no tools).</summary>
    private static TrustReview Review(string allowlist, Action<ToolsOptions>? configure = null, string? home = null)
    {
        var ws = new ToolWorkspace(allowlist);
        try
        {
            ws.Options.Tools.Sandbox = SandboxMode.Bwrap;
            configure?.Invoke(ws.Options.Tools);
            return TrustReview.Of(ws.Trust, ws.Home, ws.Options, home ?? "/nonexistent-home");
        }
        finally
        {
            ws.Dispose();
        }
    }

    private static List<string> Kinds(TrustReview review) => [.. review.Warnings.Select(w => w.Kind)];

    [Fact]
    public void A_narrow_allowlist_in_the_sandbox_has_no_warnings()
    {
        var review = Review("""
            write:
              include: ["src/**"]
            commands:
              - program: git
                args: ["status ...", "log ...", "diff ..."]
              - program: dotnet
                args: ["--version", "--info"]
            """);

        Assert.Empty(review.Warnings);
        Assert.False(review.RootNeedsConfirmation);
    }

    [Fact]
    public void Hooks_and_code_running_git_config_the_repository_carries_are_shown()
    {
        using var ws = new ToolWorkspace("commands: []\n");
        File.WriteAllText(Path.Join(ws.Root, ".git", "hooks", "pre-commit"), "#!/bin/sh\ntouch pwned\n");
        File.AppendAllText(Path.Join(ws.Root, ".git", "config"),
            "[core]\n\tfsmonitor = scripts/watch.sh\n[filter \"lfs\"]\n\tsmudge = evil %f\n[alias]\n\tst = !sh -c 'touch pwned'\n\tlg = log --oneline\n");

        var review = TrustReview.Of(ws.Trust, ws.Home, ws.Options, "/nonexistent-home");

        var git = review.Warnings.Where(w => w.Kind == "git_runs_code").Select(w => w.Message).ToList();
        Assert.Contains(git, m => m.Contains("hooks", StringComparison.Ordinal) && m.Contains("pre-commit", StringComparison.Ordinal));
        Assert.Contains(git, m => m.Contains("fsmonitor = scripts/watch.sh", StringComparison.Ordinal));
        Assert.Contains(git, m => m.Contains("[filter \"lfs\"] smudge", StringComparison.Ordinal));
        Assert.Contains(git, m => m.Contains("st = !sh", StringComparison.Ordinal));
        Assert.DoesNotContain(git, m => m.Contains("lg =", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("sh", "[\"...\"]", "sh is a shell")]
    [InlineData("bash", "[\"-c *\"]", "bash is a shell")]
    [InlineData("python3.12", "[\"*\"]", "python3.12 is an interpreter")]
    [InlineData("/usr/bin/node", "[\"*\"]", "node is an interpreter")]
    [InlineData("make", "[\"...\"]", "make is a build tool")]
    [InlineData("npm", "[\"test\"]", "npm is a package manager")]
    [InlineData("env", "[\"...\"]", "env is a wrapper that runs another program")]
    [InlineData("dotnet", "[\"build ...\", \"--version\"]", "`dotnet build` build or run code")]
    [InlineData("dotnet", "[\"*.dll\"]", "`dotnet APP.dll` build or run code")]
    [InlineData("dotnet", "[\"...\"]", "`dotnet build`, `dotnet test`, `dotnet run` and ")]
    [InlineData("git", "[\"commit ...\"]", "`git commit` can run hooks or configured commands")]
    public void Rules_that_can_run_arbitrary_code_are_warned_about(string program, string args, string expected)
    {
        var review = Review($"commands:\n  - program: {program}\n    args: {args}\n");

        var warning = Assert.Single(review.Warnings);
        Assert.Equal("runs_code", warning.Kind);
        Assert.Contains(expected, warning.Message, StringComparison.Ordinal);
        Assert.Contains("(allowlist.yaml line 2)", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_interpreter_allowed_only_to_print_its_version_is_not_a_warning()
    {
        var review = Review("commands:\n  - program: python3\n    args: [\"--version\"]\n");
        Assert.Empty(review.Warnings);
    }

    [Fact]
    public void Arguments_that_can_name_writable_files_are_warned_about()
    {
        var review = Review("""
            write:
              include: ["tools/**", "docs/**"]
            commands:
              - program: ./bin/check
                args: ["*.sh", "docs/readme.md", "--config=./tools/x.json", "status"]
            """);

        var messages = review.Warnings.Where(w => w.Kind == "runs_writable_files").Select(w => w.Message).ToList();
        Assert.Equal(3, messages.Count);
        Assert.Contains("`./bin/check *.sh` can name files tools may write (tools/**)", messages[0], StringComparison.Ordinal);
        Assert.Contains("(docs/**)", messages[1], StringComparison.Ordinal);
        Assert.Contains("--config=./tools/x.json", messages[2], StringComparison.Ordinal);
    }

    [Fact]
    public void A_program_that_is_itself_a_writable_file_is_warned_about()
    {
        var review = Review("""
            write:
              include: ["scripts/**"]
            commands:
              - program: scripts/build.sh
                args: [""]
            """);

        var warning = Assert.Single(review.Warnings);
        Assert.Equal("program_writable", warning.Kind);
        Assert.Contains("(scripts/**)", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Code_files_the_write_rules_allow_are_warned_about()
    {
        var review = Review("""
            write:
              include: ["src/**"]
              code: ["src/**/*.csproj"]
            """);

        var warning = Assert.Single(review.Warnings);
        Assert.Equal("writes_code_files", warning.Kind);
        Assert.Contains("(src/**/*.csproj)", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Metacharacters_network_and_no_sandbox_are_warned_about()
    {
        var review = Review("""
            commands:
              - program: git
                args: ["log ..."]
                allowShellMetacharacters: true
            """, t => { t.Sandbox = SandboxMode.None; t.AllowNetwork = true; });

        Assert.Equal(["shell_metacharacters", "network", "no_sandbox"], Kinds(review));
    }

    [Fact]
    public void The_file_system_root_needs_confirmation()
    {
        var review = Review("commands: []\n", t => t.Root = "/");

        Assert.True(review.RootNeedsConfirmation);
        Assert.Contains("tools.root is /, the whole file system", review.Warnings[0].Message, StringComparison.Ordinal);
        Assert.Equal("/", review.Fingerprint.ToolsRoot);
    }

    [Fact]
    public void The_home_directory_as_root_needs_confirmation_even_when_it_holds_the_workspace()
    {
        using var ws = new ToolWorkspace("commands: []\n");
        ws.Options.Tools.Sandbox = SandboxMode.Bwrap;

        var review = TrustReview.Of(ws.Trust, ws.Home, ws.Options, home: ws.Root);   // the project folder is "home"

        Assert.True(review.RootNeedsConfirmation);
        Assert.Contains("is your home directory", review.Warnings[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Dotnet_build_and_test_rules_are_warned_about_while_git_status_is_not()
    {
        using var ws = new ToolWorkspace("""
            write:
              include: ["src/**", "tests/**", "docs/**"]
            commands:
              - program: dotnet
                args: ["build ...", "test ...", "format ...", "--version", "--info"]
              - program: git
                args: ["status ...", "diff ...", "log ...", "show ..."]
            """);
        ws.Options.Tools.Sandbox = SandboxMode.Auto;

        var review = TrustReview.Of(ws.Trust, ws.Home, ws.Options, "/nonexistent-home");

        var warning = Assert.Single(review.Warnings);
        Assert.Contains("`dotnet build`, `dotnet test`, `dotnet format`", warning.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("scripts/*.sh", "scripts/**", true)]
    [InlineData("*.sh", "tools/**", true)]           // an argument's * crosses '/'
    [InlineData("src/*.cs", "docs/**", false)]
    [InlineData("a?c", "a/c", true)]                  // an argument's ? may be '/'
    [InlineData("a/c", "a?c", false)]                 // a path glob's ? may not
    [InlineData("x/y/z.sh", "**/*.sh", true)]
    [InlineData("z.sh", "**/*.sh", true)]             // **/ is zero or more directories
    [InlineData("c.txt", "[ab].txt", false)]
    [InlineData("b.txt", "[ab].txt", true)]
    [InlineData("b.txt", "[!ab].txt", false)]
    [InlineData("build", "*.txt", false)]
    [InlineData("docs/*", "docs/**", true)]
    [InlineData("docs", "docs/**", false)]
    public void Argument_globs_overlap_path_globs_exactly(string argument, string path, bool expected) =>
        Assert.Equal(expected, GlobOverlap.Overlaps(new ArgumentGlob(argument), new Glob(path)));
}
