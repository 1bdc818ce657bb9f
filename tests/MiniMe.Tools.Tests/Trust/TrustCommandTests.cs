using System.Security.Cryptography;
using System.Text.Json.Nodes;
using MiniMe.Cli;
using MiniMe.Cli.Hosting;
using MiniMe.Configuration;
using MiniMe.Tools.Tests.Support;
using MiniMe.Tracing;

namespace MiniMe.Tools.Tests.Trust;

/// <summary>
/// Workspace trust end to end through the real CLI, in process: a "cloned" project that ships its own
/// .minime (files written the way a checkout would bring them, no `minime init`), a trust file of its
/// own in a temporary folder outside the project, and real processes for allowed commands.
/// </summary>
public sealed class TrustCommandTests : IDisposable
{
    private const string ShellAllowlist = """
        write:
          include: ["src/**"]
        commands:
          - program: sh
            args: ["scripts/*.sh"]
        """;

    private readonly string _base = Directory.CreateTempSubdirectory("minime-trust-cli-").FullName;

    public TrustCommandTests()
    {
        Directory.CreateDirectory(Project);
        Directory.CreateDirectory(Path.Join(Project, "scripts"));
        Directory.CreateDirectory(Path.Join(Project, "src"));
        File.WriteAllText(Path.Join(Project, "scripts", "pwn.sh"), "echo pwned > pwned.txt\n");
        File.WriteAllText(Path.Join(Project, "src", "app.cs"), "class App { }\n");
    }

    public void Dispose() => Directory.Delete(_base, recursive: true);

    private string Project => Path.Join(_base, "project");
    private string Home => Path.Join(Project, ".minime");
    private string TrustFile => Path.Join(_base, "config", "minime", "trust.json");
    private string Marker => Path.Join(Project, "pwned.txt");

    /// <summary>A .minime that arrived with the repository: never initialized or trusted on this machine.</summary>
    private void ShipWorkspace(string allowlist, string? toolsRoot = null)
    {
        var workspace = new Workspace(Home);
        WorkspaceInitializer.Initialize(workspace, "someone-else", force: false);
        var config = File.ReadAllText(workspace.ConfigPath).Replace("sandbox: auto", "sandbox: none", StringComparison.Ordinal);
        if (toolsRoot is not null) config = config.Replace("root: ..  ", $"root: {toolsRoot}", StringComparison.Ordinal);
        File.WriteAllText(workspace.ConfigPath, config);
        File.WriteAllText(workspace.AllowlistPath, allowlist);
    }

    private sealed record Result(int Code, string Out, string Error);

    private Result Run(params string[] args)
    {
        var console = new CapturedConsole();
        var error = new StringWriter();
        var context = new CliContext(console.Console, error, interactive: false, new StringReader(""), inputInteractive: false, trustFile: TrustFile);
        var code = CliApp.RunAsync([.. args, "--home", Home], context).GetAwaiter().GetResult();
        return new Result(code, console.Text, error.ToString());
    }

    private Result RunScript() => Run("tool", "run", "run_command", "--args", """{"argv": ["sh", "scripts/pwn.sh"]}""", "--yes");

    /// <summary>Every file under the project with its content hash, traces left out (the audit trail grows by design).</summary>
    private SortedDictionary<string, string> Tree()
    {
        var tree = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in Directory.EnumerateFiles(Project, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(Project, path);
            if (relative.StartsWith(Path.Join(".minime", "traces"), StringComparison.Ordinal)) continue;
            tree[relative] = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));
        }
        return tree;
    }

    private IReadOnlyList<TraceEvent> LastRunExecutions()
    {
        var traces = new TraceStore(Path.Join(Home, "traces"));
        var run = traces.List(1).Single();
        return traces.Read(run.RunId).Where(e => e.EventType == TraceEventTypes.Execution).ToList();
    }

    [Fact]
    public void A_cloned_repository_that_allows_sh_runs_nothing_until_trusted_then_runs()
    {
        ShipWorkspace(ShellAllowlist);
        var before = Tree();

        var refused = RunScript();

        Assert.Equal(1, refused.Code);
        var line = Assert.Single(refused.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("error: refused: this workspace is not trusted (its .minime was not created by MiniMe on this machine); review and trust it with `minime trust`", line);
        Assert.False(File.Exists(Marker));
        Assert.Equal(before, Tree());
        var execution = Assert.Single(LastRunExecutions());
        Assert.Equal("refused", execution.Data["status"]!.GetValue<string>());
        Assert.Null(execution.Data["exit_code"]);

        var trusted = Run("trust", "--yes");
        Assert.True(trusted.Code == 0, trusted.Error);
        Assert.Contains("sh scripts/*.sh", trusted.Out, StringComparison.Ordinal);
        Assert.Contains("sh is a shell", trusted.Out, StringComparison.Ordinal);

        var ran = RunScript();
        Assert.True(ran.Code == 0, ran.Error);
        Assert.Equal("pwned\n", File.ReadAllText(Marker));
    }

    [Fact]
    public void Editing_allowlist_yaml_after_trusting_refuses_again_until_trusted_again()
    {
        ShipWorkspace(ShellAllowlist);
        Assert.Equal(0, Run("trust", "--yes").Code);
        File.AppendAllText(Path.Join(Home, "allowlist.yaml"), "\n# one more line\n");

        var refused = RunScript();

        Assert.Equal(1, refused.Code);
        Assert.Contains("this workspace is not trusted (allowlist.yaml changed since you trusted it on ", refused.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(Marker));
        Assert.Equal("refused", Assert.Single(LastRunExecutions()).Data["status"]!.GetValue<string>());

        Assert.Equal(0, Run("trust", "--yes").Code);
        Assert.Equal(0, RunScript().Code);
        Assert.True(File.Exists(Marker));
    }

    [Fact]
    public void Read_only_tools_are_refused_too_in_an_untrusted_workspace()
    {
        ShipWorkspace(ShellAllowlist);

        var read = Run("tool", "run", "read_file", "--args", """{"path": "src/app.cs"}""");
        var search = Run("tool", "run", "search_repo", "--args", """{"query": "class"}""");

        Assert.Equal(1, read.Code);
        Assert.Equal(1, search.Code);
        Assert.DoesNotContain("class App", read.Out, StringComparison.Ordinal);
        Assert.Contains("this workspace is not trusted", search.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_tools_root_outside_the_project_is_refused_even_with_yes_until_confirmed_with_the_flag()
    {
        ShipWorkspace(ShellAllowlist, toolsRoot: "../..");   // the folder above the project
        File.WriteAllText(Path.Join(_base, "outside.txt"), "outside the project\n");

        var refused = Run("trust", "--yes");

        Assert.Equal(2, refused.Code);
        Assert.Contains($"tools.root {_base} is outside the workspace's folder {Project}", refused.Error, StringComparison.Ordinal);
        Assert.Contains("--allow-outside-root", refused.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(TrustFile));
        Assert.Equal(1, Run("tool", "run", "read_file", "--args", """{"path": "outside.txt"}""").Code);

        Assert.Equal(0, Run("trust", "--yes", "--allow-outside-root").Code);
        var read = Run("tool", "run", "read_file", "--args", """{"path": "outside.txt"}""");
        Assert.True(read.Code == 0, read.Error);
        Assert.StartsWith("outside the project", read.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void An_init_created_workspace_runs_tools_with_no_trust_step()
    {
        Assert.Equal(0, Run("init", "--name", "me").Code);

        var write = Run("tool", "run", "write_file", "--args", """{"path": "src/new.cs", "content": "class New { }\n"}""", "--yes");

        Assert.True(write.Code == 0, write.Error);
        Assert.True(File.Exists(Path.Join(Project, "src", "new.cs")));
        var list = JsonNode.Parse(Run("trust", "--list", "--json").Out)!.AsArray();
        var entry = Assert.Single(list)!;
        Assert.Equal(Home, entry["workspace"]!.GetValue<string>());
        Assert.Equal("init", entry["how"]!.GetValue<string>());
        Assert.True(entry["matches"]!.GetValue<bool>());
        var again = Run("trust");
        Assert.Equal(0, again.Code);
        Assert.Contains("Already trusted", again.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Init_force_over_a_shipped_workspace_trusts_what_it_wrote_not_what_was_shipped()
    {
        ShipWorkspace(ShellAllowlist);

        Assert.Equal(0, Run("init", "--force").Code);

        var script = RunScript();
        Assert.Equal(1, script.Code);
        Assert.DoesNotContain("not trusted", script.Error, StringComparison.Ordinal);   // the default allowlist has no sh rule
        Assert.False(File.Exists(Marker));
        var write = Run("tool", "run", "write_file", "--args", """{"path": "src/new.cs", "content": "class New { }\n"}""", "--yes");
        Assert.True(write.Code == 0, write.Error);
    }

    [Fact]
    public void Trust_without_a_terminal_and_without_yes_exits_2_and_records_nothing()
    {
        ShipWorkspace(ShellAllowlist);

        var result = Run("trust");

        Assert.Equal(2, result.Code);
        Assert.Contains("Trusting a workspace needs confirmation: run it in a terminal, or pass --yes.", result.Error, StringComparison.Ordinal);
        Assert.Contains("tools root", result.Out, StringComparison.Ordinal);   // what it would grant is shown first
        Assert.False(File.Exists(TrustFile));
    }

    [Fact]
    public void Revoke_makes_an_init_created_workspace_refuse_tools()
    {
        Assert.Equal(0, Run("init").Code);

        var revoke = Run("trust", "--revoke");

        Assert.Equal(0, revoke.Code);
        Assert.Contains("Revoked", revoke.Out, StringComparison.Ordinal);
        var read = Run("tool", "run", "read_file", "--args", """{"path": "src/app.cs"}""");
        Assert.Equal(1, read.Code);
        Assert.Contains("its .minime was not created by MiniMe on this machine", read.Error, StringComparison.Ordinal);
        Assert.Contains("was not trusted; nothing to revoke", Run("trust", "--revoke").Out, StringComparison.Ordinal);
    }

    [Fact]
    public void A_damaged_trust_file_is_a_clear_error_trusts_nothing_and_is_not_overwritten()
    {
        Assert.Equal(0, Run("init").Code);
        File.WriteAllText(TrustFile, "{\"version\": 1, \"workspaces\": {");

        var read = Run("tool", "run", "read_file", "--args", """{"path": "src/app.cs"}""");
        var list = Run("trust", "--list");
        var trust = Run("trust", "--yes");

        Assert.Equal(1, read.Code);
        var line = Assert.Single(read.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"error: refused: The trust file {TrustFile} is damaged (not valid JSON at line 1", line, StringComparison.Ordinal);
        Assert.EndsWith("so no workspace is trusted; fix it or delete it and trust your workspaces again with `minime trust`.", line, StringComparison.Ordinal);
        Assert.Equal(1, list.Code);
        Assert.Equal(1, trust.Code);
        Assert.Equal("{\"version\": 1, \"workspaces\": {", File.ReadAllText(TrustFile));
    }

    [Fact]
    public void Trust_json_lists_the_grants_and_the_warnings()
    {
        ShipWorkspace(ShellAllowlist.Replace("args: [\"scripts/*.sh\"]", "args: [\"scripts/*.sh\"]\n    allowShellMetacharacters: true", StringComparison.Ordinal));

        var result = Run("trust", "--yes", "--json");

        Assert.True(result.Code == 0, result.Error);
        var json = JsonNode.Parse(result.Out)!;
        Assert.True(json["trusted"]!.GetValue<bool>());
        Assert.Equal("user", json["how"]!.GetValue<string>());
        Assert.Equal(Project, json["grants"]!["toolsRoot"]!.GetValue<string>());
        Assert.Equal("none", json["grants"]!["sandbox"]!.GetValue<string>());
        Assert.Equal(["src/**"], json["grants"]!["write"]!["include"]!.AsArray().Select(g => g!.GetValue<string>()));
        Assert.Equal("sh", json["grants"]!["commands"]![0]!["program"]!.GetValue<string>());
        var kinds = json["warnings"]!.AsArray().Select(w => w!["kind"]!.GetValue<string>()).ToList();
        Assert.Equal(["runs_code", "shell_metacharacters", "no_sandbox"], kinds);
    }

    [Fact]
    public void List_and_revoke_cannot_be_combined()
    {
        var result = Run("trust", "--list", "--revoke");
        Assert.Equal(2, result.Code);
        Assert.Contains("--list and --revoke cannot be combined", result.Error, StringComparison.Ordinal);
    }
}
