using System.Text.Json.Nodes;
using MiniMe.Tools.Approval;
using MiniMe.Tools.Tests.Support;

namespace MiniMe.Tools.Tests.Safety;

/// <summary>
/// Issue 10, class 4: git commands the allowlist allows, run for real against a history that holds
/// secrets (.env committed with a key, then changed; a key file committed, then deleted). They may run,
/// but what they print must never contain a secret: revisions are peeled to commits, so a blob or tree
/// id shows nothing, and exclusion pathspecs keep secret files out of every diff, patch and pickaxe.
/// </summary>
public sealed class GitSecretOutputTests
{
    public sealed record GitCase(string Name, Func<ToolWorkspace, string[]> Arguments);

    private static GitCase G(string name, params string[] args) => new(name, _ => args);

    public static IReadOnlyList<GitCase> All { get; } =
    [
        G("log -p", "log", "-p"),
        G("log -p --all", "log", "-p", "--all"),
        G("log --patch --stat", "log", "--patch", "--stat"),
        G("log -p -U10 --reverse", "log", "-p", "-U10", "--reverse"),
        G("log --word-diff -p", "log", "--word-diff", "-p"),
        G("log --stat --name-status", "log", "--stat", "--name-status"),
        G("log -S pickaxe on the secret", "log", "-S", ToolWorkspace.SecretInHistory, "--oneline"),
        G("log -G regex pickaxe", "log", "-G", "HISTORIC", "-p"),
        G("show HEAD~1", "show", "HEAD~1"),
        G("show HEAD", "show", "HEAD"),
        G("show --stat HEAD~1", "show", "--stat", "HEAD~1"),
        G("show HEAD~2..HEAD", "show", "HEAD~2..HEAD"),
        G("diff HEAD~2 HEAD", "diff", "HEAD~2", "HEAD"),
        G("diff HEAD~2", "diff", "HEAD~2"),
        G("diff HEAD~2 -- secrets (a directory of secrets)", "diff", "HEAD~2", "--", "secrets"),
        G("diff HEAD~2 --stat", "diff", "--stat", "HEAD~2"),
        G("diff --cached HEAD~2", "diff", "--cached", "HEAD~2"),
        G("diff HEAD~2...HEAD", "diff", "HEAD~2...HEAD"),
        new("show the blob id of the old .env", w => ["show", w.GitOutput("rev-parse", "HEAD~1:.env")]),
        new("show the blob id of the deleted key", w => ["show", w.GitOutput("rev-parse", "HEAD~1:secrets/old.key")]),
        new("diff two blob ids", w => ["diff", w.GitOutput("rev-parse", "HEAD~1:.env"), w.GitOutput("rev-parse", "HEAD:.env")]),
        new("show a tree id", w => ["show", w.GitOutput("rev-parse", "HEAD~1^{tree}")]),
        new("log a blob id", w => ["log", "-p", w.GitOutput("rev-parse", "HEAD~1:secrets/old.key")]),
        new("show a short blob id", w => ["show", w.GitOutput("rev-parse", "--short", "HEAD~1:.env")]),
        new("blob id as a range end", w => ["diff", "HEAD.." + w.GitOutput("rev-parse", "HEAD~1:.env")]),
        G("status", "status", "--short"),
    ];

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var c in All) data.Add(c.Name);
        return data;
    }

    [Theory]
    [MemberData(nameof(Names))]
    public async Task Allowed_git_command_never_prints_a_secret_from_history(string name)
    {
        var hostile = All.Single(c => c.Name == name);
        using var w = new ToolWorkspace();
        // Sanity: the history really holds the secret, so a plain git would print it.
        Assert.Contains(ToolWorkspace.SecretInHistory, w.GitOutput("log", "-p", "--all"), StringComparison.Ordinal);

        var outcome = await w.RunAsync("run_command", new JsonObject { ["argv"] = new JsonArray(["git", .. hostile.Arguments(w).Select(a => (JsonNode?)a)]) });

        Assert.True(outcome.Status is OutcomeStatus.Succeeded or OutcomeStatus.Failed, $"{name}: {outcome.Status}: {outcome.Message}");
        var output = outcome.Execution!.Output["stdout"]!.GetValue<string>() + outcome.Execution.Output["stderr"]!.GetValue<string>();
        Assert.DoesNotContain(ToolWorkspace.SecretInHistory, output, StringComparison.Ordinal);
        Assert.DoesNotContain("not-a-real-key", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_approval_shows_the_rewritten_git_command_that_runs()
    {
        using var w = new ToolWorkspace();
        var outcome = await w.RunAsync("run_command", """{"argv": ["git", "log", "-p", "-n", "1", "HEAD~1"]}""");

        var argv = outcome.Preview!.Argv!;
        Assert.Equal(["git", "log", "-p", "-n", "1", "--no-ext-diff", "--no-textconv", "HEAD~1^{commit}", "--", ":(top)"], argv.Take(10));
        Assert.Contains(":(top,exclude,glob,icase)**/.env", argv);
        Assert.Contains(":(top,exclude,glob)private/**", argv.Select(a => a.Replace(",icase", "", StringComparison.Ordinal)));
        Assert.Contains(outcome.Preview.Warnings!, n => n.Contains("peeled", StringComparison.Ordinal));
        Assert.Equal(OutcomeStatus.Succeeded, outcome.Status);
    }

    [Fact]
    public async Task Ordinary_history_still_shows()
    {
        using var w = new ToolWorkspace();
        var outcome = await w.RunAsync("run_command", """{"argv": ["git", "log", "-p", "--", "src/app.cs"]}""");
        Assert.Equal(OutcomeStatus.Succeeded, outcome.Status);
        Assert.Contains("static void Main", outcome.Execution!.Output["stdout"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [BwrapFact]
    public async Task Git_in_the_sandbox_sees_the_tree_read_only_and_still_hides_secrets()
    {
        using var w = new ToolWorkspace(sandbox: "bwrap");
        var status = await w.RunAsync("run_command", """{"argv": ["git", "status", "--short"]}""");
        Assert.Equal(OutcomeStatus.Succeeded, status.Status);
        Assert.True(status.Execution!.Sandboxed);
        var log = await w.RunAsync("run_command", """{"argv": ["git", "log", "-p", "--all"]}""");
        Assert.Equal(OutcomeStatus.Succeeded, log.Status);
        Assert.DoesNotContain(ToolWorkspace.SecretInHistory, log.Execution!.Output["stdout"]!.GetValue<string>(), StringComparison.Ordinal);
    }
}

/// <summary>What a tool returns goes to the model: secrets inside ordinary files and command output are masked on the way.</summary>
public sealed class ToolOutputRedactionTests
{
    private const string AwsKey = "AKIAIOSFODNN7EXAMPLE";

    [Fact]
    public async Task Read_file_masks_a_secret_inside_an_ordinary_file()
    {
        using var w = new ToolWorkspace();
        w.Write("src/settings.json", $"{{\"aws_access_key_id\": \"{AwsKey}\", \"name\": \"demo\"}}\n");
        var outcome = await w.RunAsync("read_file", """{"path": "src/settings.json"}""");
        var content = outcome.Execution!.Output["content"]!.GetValue<string>();
        Assert.DoesNotContain(AwsKey, content, StringComparison.Ordinal);
        Assert.Contains("demo", content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Command_output_and_search_results_mask_secrets()
    {
        using var w = new ToolWorkspace();
        w.Write("scripts/print.sh", $"echo token {AwsKey}\n");
        w.Write("docs/notes.md", $"the key is {AwsKey}\n");
        var run = await w.RunAsync("run_command", """{"argv": ["sh", "scripts/print.sh"]}""");
        Assert.DoesNotContain(AwsKey, run.Execution!.Output["stdout"]!.GetValue<string>(), StringComparison.Ordinal);
        var search = await w.RunAsync("search_repo", """{"query": "the key is"}""");
        Assert.DoesNotContain(AwsKey, search.Execution!.Output.ToJsonString(), StringComparison.Ordinal);
        Assert.Contains("docs/notes.md", search.Execution.Output.ToJsonString(), StringComparison.Ordinal);
    }
}
