using MiniMe.Security;
using MiniMe.Configuration;
using MiniMe.Tools.Allowlist;
using MiniMe.Tools.Processes;

namespace MiniMe.Tools.Tests.Allowlist;

public sealed class AllowlistTests
{
    [Fact]
    public void The_file_minime_init_writes_parses()
    {
        var home = Directory.CreateTempSubdirectory("minime-allowlist-");
        try
        {
            var workspace = new Workspace(home.FullName);
            WorkspaceInitializer.Initialize(workspace, "t", force: false);
            var allowlist = AllowlistLoader.Load(workspace.AllowlistPath);
            Assert.Equal(["git", "dotnet"], allowlist.Commands.Select(c => c.Program));
            Assert.True(allowlist.Write.IsIncluded("src/a/b.cs"));
            Assert.False(allowlist.Write.IsIncluded("README.md"));
            Assert.NotNull(allowlist.Write.ExcludedBy("src/.env"));
            Assert.Empty(allowlist.Write.Code);
            Assert.Contains(allowlist.Commands[0].Arguments, p => p.IsMatch(["status", "--short"]));
            Assert.DoesNotContain(allowlist.Commands[0].Arguments, p => p.IsMatch(["push"]));
            // Nothing that runs repository code is allowed by default: dotnet only reports its version.
            Assert.DoesNotContain(allowlist.Commands[1].Arguments, p => p.IsMatch(["build"]) || p.IsMatch(["test"]));
        }
        finally
        {
            home.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("write: [oops", "allowlist.yaml:2:1: invalid YAML")]
    [InlineData("write:\n  include: [\"src/**\"]\n  exlude: [\"*.key\"]\n", "allowlist.yaml:3:3: unknown key 'exlude' in write")]
    [InlineData("reed:\n  include: [\"**\"]\n", "allowlist.yaml:1:1: unknown key 'reed'")]
    [InlineData("commands:\n  - program: git\n", "allowlist.yaml:2:5: command 'git' needs args")]
    [InlineData("commands:\n  - args: [\"...\"]\n", "allowlist.yaml:2:5: a command needs a program")]
    [InlineData("commands:\n  - program: git\n    args: [\"... status\"]\n", "allowlist.yaml:3:12: '...' may only be the last word")]
    [InlineData("commands:\n  - program: git\n    args: [\"...\"]\n    allowShellMetacharacters: maybe\n", "allowlist.yaml:4:31: allowShellMetacharacters must be true or false")]
    [InlineData("write:\n  include: [\"../outside/**\"]\n", "allowlist.yaml:2:13: '../outside/**' must be relative")]
    [InlineData("environment: [\"BAD-NAME\"]\n", "allowlist.yaml:1:15: 'BAD-NAME' is not an environment variable name")]
    [InlineData("- just a list\n", "allowlist.yaml:1:1: expected a mapping")]
    public void Malformed_allowlist_is_an_error_with_line_and_column(string yaml, string expected)
    {
        var e = Assert.Throws<ConfigException>(() => AllowlistLoader.Parse(yaml, "allowlist.yaml"));
        Assert.StartsWith(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_file_allows_reading_but_no_writes_or_commands()
    {
        var allowlist = AllowlistLoader.Load(Path.Join(Path.GetTempPath(), Guid.NewGuid().ToString("N"), "allowlist.yaml"));
        Assert.True(allowlist.Read.IsIncluded("src/a.cs"));
        Assert.Empty(allowlist.Write.Include);
        Assert.Empty(allowlist.Commands);
    }

    [Theory]
    [InlineData("**/.env", ".env", true)]
    [InlineData("**/.env", "a/b/.env", true)]
    [InlineData("**/.env", "a/.env.local", false)]
    [InlineData("src/**", "src/a/b/c.cs", true)]
    [InlineData("src/**", "srcx/a.cs", false)]
    [InlineData("src/*.cs", "src/a.cs", true)]
    [InlineData("src/*.cs", "src/a/b.cs", false)]
    [InlineData("src/**/*.cs", "src/b.cs", true)]
    [InlineData("src/**/*.cs", "src/x/y/b.cs", true)]
    [InlineData("file?.txt", "file1.txt", true)]
    [InlineData("file?.txt", "file/.txt", false)]
    [InlineData("[ab].txt", "a.txt", true)]
    [InlineData("[!ab].txt", "c.txt", true)]
    [InlineData("[!ab].txt", "a.txt", false)]
    public void Globs_match_whole_relative_paths(string pattern, string path, bool expected) =>
        Assert.Equal(expected, new Glob(pattern).IsMatch(path));

    [Theory]
    [InlineData("status ...", new[] { "status" }, true)]
    [InlineData("status ...", new[] { "status", "--short", "src" }, true)]
    [InlineData("status", new[] { "status", "--short" }, false)]
    [InlineData("log -n *", new[] { "log", "-n", "5" }, true)]
    [InlineData("log -n *", new[] { "log", "-n" }, false)]
    [InlineData("test --filter=*", new[] { "test", "--filter=Category=Unit" }, true)]
    [InlineData("", new string[0], true)]
    [InlineData("", new[] { "x" }, false)]
    public void Argument_patterns(string pattern, string[] args, bool expected) =>
        Assert.Equal(expected, ArgumentPattern.Parse(pattern).IsMatch(args));

    [Fact]
    public void Scrubbed_environment_keeps_the_basics_and_drops_secrets()
    {
        var source = new Dictionary<string, string>
        {
            ["HOME"] = "/home/u",
            ["LANG"] = "C.UTF-8",
            ["OPENAI_API_KEY"] = "sk-aaaaaaaaaaaaaaaaaaaaaaaa",
            ["GITHUB_TOKEN"] = "ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            ["CUSTOM"] = "ok",
            ["LEAKY"] = "Bearer abcdefghijklmnopqrstuvwxyz",
            ["SSH_AUTH_SOCK"] = "/tmp/agent",
        };
        var environment = EnvironmentScrubber.Build("/usr/bin:/bin", ["CUSTOM", "GITHUB_TOKEN", "LEAKY"], n => source.GetValueOrDefault(n));
        Assert.Equal("/home/u", environment["HOME"]);
        Assert.Equal("C.UTF-8", environment["LANG"]);
        Assert.Equal("ok", environment["CUSTOM"]);
        Assert.Equal("/usr/bin:/bin", environment["PATH"]);
        Assert.False(environment.ContainsKey("OPENAI_API_KEY"));
        Assert.False(environment.ContainsKey("GITHUB_TOKEN"));
        Assert.False(environment.ContainsKey("LEAKY"));
        Assert.False(environment.ContainsKey("SSH_AUTH_SOCK"));
        Assert.Equal("0", environment["GIT_TERMINAL_PROMPT"]);
    }

    [Fact]
    public void Path_entries_inside_the_root_or_relative_are_never_searched()
    {
        var resolver = new ProgramResolver("/usr/bin:.:bin:/work/project/bin:/work/project", "/work/project");
        Assert.Equal(["/usr/bin"], resolver.SearchPath);
    }
}
