using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using MiniMe.Actions;
using MiniMe.Tools;
using MiniMe.Tools.Approval;
using MiniMe.Testing;
using MiniMe.Tracing;

namespace MiniMe.Agents.Tests.Tools;

/// <summary>
/// Agents that look before they write: the read-only tools offered through function invocation
/// (bounded, traced, nothing side-effecting), the current text of the planned files in the Builder's
/// prompt, and patches checked against it. The model is the scripted client; the tools, the trace
/// store and the memory are real.
/// </summary>
public sealed class AgentToolCallTests : IAsyncLifetime
{
    private const string Original = "public static class Greeter\n{\n    public static string Hello() => \"hi\";\n}\n";
    private const string Edited = "public static class Greeter\n{\n    public static string Hello() => \"hello there\";\n}\n";

    private readonly TeamHarness _h = new();
    private readonly RepoWorkspace _repo;

    public AgentToolCallTests()
    {
        _repo = new RepoWorkspace(_h.Traces);
        _repo.Write("src/Greeter.cs", Original);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _repo.DisposeAsync();
        _h.Dispose();
    }

    private static string Patch(string from, string to) =>
        $"--- a/src/Greeter.cs\n+++ b/src/Greeter.cs\n@@ -1,4 +1,4 @@\n public static class Greeter\n {{\n-    public static string Hello() => \"{from}\";\n+    public static string Hello() => \"{to}\";\n }}\n";

    private static ScriptedReply Build(string diff) => ScriptedReply.Text(new JsonObject
    {
        ["summary"] = "Change the greeting",
        ["files"] = new JsonArray(),
        ["patches"] = new JsonArray(new JsonObject { ["path"] = "src/Greeter.cs", ["diff"] = diff }),
    }.ToJsonString());

    private static ScriptedReply Plan() => ScriptedReply.Text("""
        {"summary":"Change the greeting","modules":[{"name":"Greeter","responsibility":"Greets","depends_on":[]}],
         "files":[{"path":"src/Greeter.cs","purpose":"the greeting"},{"path":"src/New.cs","purpose":"not there yet"}]}
        """);

    private static ScriptedReply Read(string path, string id = "call_1") => ScriptedReply.ToolCall("read_file", new JsonObject { ["path"] = path }.ToJsonString(), id);

    /// <summary>Only the Builder (and, when asked, the Architect), one round, proposals straight from the build.</summary>
    private AgentTeam Team(AgentTeamOptions? options = null) => new(TeamHarness.Pipeline(_h.Chat), options ?? TeamHarness.DefaultOptions, _h.Traces, _repo.Toolbox);

    private static TeamRequest Request(bool architect = false, bool critic = false, string? context = null)
    {
        var request = TeamHarness.Request(TeamHarness.Masks(architect: architect ? 1 : 0, critic: critic ? 1 : 0, integrator: 0, maxIterations: 1));
        return context is null ? request : request with { ContextPrompt = context };
    }

    private IReadOnlyList<JsonObject> ToolCalls => [.. _h.EventsOf(TraceEventTypes.AgentToolCall).Select(e => e.Data)];

    private static IEnumerable<FunctionResultContent> Results(ScriptedCall call) => call.Messages.SelectMany(m => m.Contents).OfType<FunctionResultContent>();

    [Fact]
    public async Task BuilderReadsTheFileWithReadFileAndItsPatchApplies()
    {
        _repo.Write("src/Greeter.cs", Edited); // what memory might hold is "hi"; the file says "hello there"
        _h.Chat.Enqueue(Read("src/Greeter.cs"), Build(Patch("hello there", "welcome")));

        var result = await Team().RunAsync(Request(), null, CancellationToken.None);

        Assert.Equal(2, _h.Chat.Calls.Count);
        var offered = _h.Chat.Calls[0].Options!.Tools!.Select(t => t.Name).ToList();
        Assert.Contains("read_file", offered);
        var result1 = Assert.Single(Results(_h.Chat.Calls[1]));
        Assert.Contains("hello there", result1.Result!.ToString());

        var call = Assert.Single(ToolCalls);
        Assert.Equal("builder", call["agent"]!.GetValue<string>());
        Assert.Equal("read_file", call["tool"]!.GetValue<string>());
        Assert.Equal("src/Greeter.cs", call["arguments"]!["path"]!.GetValue<string>());
        Assert.True(call["bytes"]!.GetValue<int>() > Edited.Length);
        Assert.Null(call["error"]);

        var proposal = Assert.Single(result.Proposals);
        Assert.Equal("apply_patch", proposal.Tool);
        Assert.Null(proposal.Review);
        Assert.DoesNotContain(result.Reviews.Single().Violations, v => v.RuleId == CurrentFiles.StalePatchRule);
        var outcome = await _repo.Host.Runner.RunAsync(proposal, ApprovalMode.Yes, new NonInteractiveGate(), new SilentPresenter(), TeamHarness.RunId, CancellationToken.None);
        Assert.Equal(OutcomeStatus.Succeeded, outcome.Status);
        Assert.Contains("\"welcome\"", await File.ReadAllTextAsync(_repo.PathOf("src/Greeter.cs")));
    }

    [Fact]
    public async Task AFileEditedAfterImportIsSeenFreshInTheBuilderPromptAndChangedFilesListsIt()
    {
        await _repo.ImportAsync();
        _repo.Write("src/Greeter.cs", Edited);
        _repo.Write("src/Added.cs", "class Added {}\n");
        var stale = $"## Memory\n[memory:1]\nFrom the user's memory ({_repo.PathOf("src/Greeter.cs")}, chars 0-{Original.Length}):\n{Original}\n\n## Task\nTask: Change the greeting";
        _h.Chat.Enqueue(ScriptedReply.ToolCall("changed_files", "{}"), Plan(), Build(Patch("hello there", "welcome")));

        var result = await Team().RunAsync(Request(architect: true, context: stale), null, CancellationToken.None);

        var changed = JsonNode.Parse(Assert.Single(Results(_h.Chat.Calls[1])).Result!.ToString()!)!;
        var files = changed["files"]!.AsArray().Select(f => $"{f!["change"]} {f["path"]}").ToList();
        Assert.Contains("modified src/Greeter.cs", files);
        Assert.Contains("added src/Added.cs", files);

        var architect = _h.Chat.Calls[0];
        var builder = _h.Chat.Calls[2];
        Assert.Contains("=> \"hi\"", architect.SystemText); // the Architect still sees memory as it is
        Assert.DoesNotContain("=> \"hi\"", builder.SystemText); // the Builder's stale excerpt is gone...
        Assert.DoesNotContain("[memory:1]", builder.SystemText);
        Assert.Contains("=> \"hello there\"", builder.UserText); // ...and the current text is there
        Assert.Contains("--- src/Greeter.cs ---", builder.UserText);
        Assert.DoesNotContain("src/New.cs ---", builder.UserText); // planned but not there: nothing to show

        var current = Assert.Single(_h.EventsOf(TraceEventTypes.CurrentFiles)).Data;
        Assert.Equal("src/Greeter.cs", Assert.Single(current["files"]!.AsArray())!["path"]!.GetValue<string>());
        Assert.Null(Assert.Single(result.Proposals).Review);
        Assert.Equal(["architect"], ToolCalls.Select(c => c["agent"]!.GetValue<string>()));
    }

    [Fact]
    public async Task AStalePatchIsABlockingViolationTheCriticSeesAndTheProposalSaysSo()
    {
        _repo.Write("src/Greeter.cs", Edited);
        _h.Chat.Enqueue(Build(Patch("hi", "welcome")), ScriptedReply.Text("""{"valid":true,"violations":[],"suggestions":[]}"""));

        var result = await Team().RunAsync(Request(critic: true), null, CancellationToken.None);

        var review = Assert.Single(result.Reviews);
        Assert.False(review.Valid);
        var stale = Assert.Single(review.Violations, v => v.RuleId == CurrentFiles.StalePatchRule);
        Assert.True(stale.Blocking);
        Assert.Equal("src/Greeter.cs", stale.Location);
        Assert.Contains("does not apply to the file as it is now", stale.Message);
        Assert.Contains("does not apply to the file as it is now", _h.Chat.Calls[1].UserText); // the Critic's prompt
        Assert.True(result.Unresolved);

        var proposal = Assert.Single(result.Proposals);
        Assert.StartsWith("does not apply to the current file", proposal.Review);
        Assert.StartsWith("[review: does not apply", proposal.Rationale);
        var traced = Assert.Single(_h.EventsOf(TraceEventTypes.ActionProposal)).Data;
        Assert.Contains("does not apply", traced["review"]!.GetValue<string>());
    }

    [Fact]
    public async Task AWriteFileCallIsNotOfferedAndIsRefusedAndTraced()
    {
        _h.Chat.Enqueue(
            ScriptedReply.ToolCall("write_file", """{"path":"src/Evil.cs","content":"class Evil {}"}"""),
            Build(Patch("hi", "welcome")));

        await Team().RunAsync(Request(), null, CancellationToken.None);

        var offered = _h.Chat.Calls[0].Options!.Tools!.Select(t => t.Name).ToHashSet();
        Assert.Equal(["changed_files", "read_file", "retrieve_memory", "search_repo"], offered.Order());
        foreach (var descriptor in _repo.Host.Registry.Descriptors.Where(d => d.NeedsApproval || d.Category is ToolCategory.Write or ToolCategory.Execute))
            Assert.DoesNotContain(descriptor.Name, offered);
        Assert.All(_repo.Toolbox.Tools, t => Assert.True(t.ReadOnly));

        Assert.False(File.Exists(_repo.PathOf("src/Evil.cs")));
        Assert.Contains("not found", Assert.Single(Results(_h.Chat.Calls[1])).Result!.ToString());
        var call = Assert.Single(ToolCalls);
        Assert.Equal("write_file", call["tool"]!.GetValue<string>());
        Assert.Contains("not offered", call["error"]!.GetValue<string>());
        Assert.Equal(0, call["bytes"]!.GetValue<int>());
        Assert.Empty(_h.EventsOf(TraceEventTypes.Execution));
    }

    [Fact]
    public async Task TheCallLimitRefusesTheNinthCall()
    {
        for (var i = 1; i <= 9; i++) _h.Chat.Enqueue(Read("src/Greeter.cs", $"call_{i}"));
        _h.Chat.Enqueue(Build(Patch("hi", "welcome")));

        var result = await Team().RunAsync(Request(), null, CancellationToken.None);

        Assert.Equal(10, _h.Chat.Calls.Count);
        var calls = ToolCalls;
        Assert.Equal(9, calls.Count);
        Assert.All(calls.Take(8), c => Assert.Null(c["error"]));
        Assert.Contains("limit reached (8 per agent call", calls[8]["error"]!.GetValue<string>());
        Assert.Contains("limit reached", Results(_h.Chat.Calls[9]).Last().Result!.ToString());
        Assert.Equal("apply_patch", Assert.Single(result.Proposals).Tool);
    }

    [Fact]
    public async Task ReadFileOfDotEnvIsRefusedAsToday()
    {
        _repo.Write(".env", "API_KEY=sk-live-abcdefghijklmnopqrstuvwxyz0123456789\n");
        _h.Chat.Enqueue(Read(".env"), Build(Patch("hi", "welcome")));

        await Team().RunAsync(Request(), null, CancellationToken.None);

        var answer = Assert.Single(Results(_h.Chat.Calls[1])).Result!.ToString()!;
        Assert.StartsWith("error: read_file refused: '.env' is a secret file", answer);
        Assert.DoesNotContain("sk-live", answer);
        var call = Assert.Single(ToolCalls);
        Assert.StartsWith("read_file refused:", call["error"]!.GetValue<string>());
        Assert.Equal(0, call["bytes"]!.GetValue<int>());
    }

    [Fact]
    public async Task ALongResultIsCutWithATruncatedNotice()
    {
        _repo.Write("src/Big.cs", string.Concat(Enumerable.Repeat("// a line of a rather long file\n", 400)));
        _h.Chat.Enqueue(Read("src/Big.cs"), Build(Patch("hi", "welcome")));

        await Team(TeamHarness.DefaultOptions with { MaxToolResultBytes = 1024 }).RunAsync(Request(), null, CancellationToken.None);

        var answer = Assert.Single(Results(_h.Chat.Calls[1])).Result!.ToString()!;
        Assert.Contains("[truncated:", answer);
        Assert.True(System.Text.Encoding.UTF8.GetByteCount(answer) <= 1024);
        Assert.Equal(System.Text.Encoding.UTF8.GetByteCount(answer), Assert.Single(ToolCalls)["bytes"]!.GetValue<int>());
    }

    [Fact]
    public async Task WithToolsOffTheModelIsAskedWithoutToolsAndStillSeesTheCurrentText()
    {
        _repo.Write("src/Greeter.cs", Edited);
        _h.Chat.Enqueue(Plan(), Build(Patch("hello there", "welcome")));

        var result = await Team(TeamHarness.DefaultOptions with { ReadOnlyTools = false }).RunAsync(Request(architect: true), null, CancellationToken.None);

        Assert.All(_h.Chat.Calls, c => Assert.True(c.Options!.Tools is null or { Count: 0 }));
        Assert.Contains("=> \"hello there\"", _h.Chat.Calls[1].UserText);
        Assert.Null(Assert.Single(result.Proposals).Review);
        Assert.Empty(ToolCalls);
    }

    [Fact]
    public void TheLimitsAreValidatedSettings()
    {
        var options = new MiniMe.Configuration.MiniMeOptions();
        options.Agents.MaxToolCalls = 65;
        options.Agents.MaxToolResultBytes = 10;
        var result = new MiniMe.Configuration.MiniMeOptionsValidator().Validate(null, options);
        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.StartsWith("agents.maxToolCalls must be between 0 and 64", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.StartsWith("agents.maxToolResultBytes must be at least 256", StringComparison.Ordinal));
        var team = AgentTeamOptions.From(new MiniMe.Configuration.LlmOptions(), new MiniMe.Configuration.AgentsOptions { Tools = false, MaxToolCalls = 3 });
        Assert.False(team.ReadOnlyTools);
        Assert.Equal(3, team.MaxToolCalls);
    }

    [Fact]
    public async Task AModelThatRejectsToolsIsAskedAgainWithoutThem()
    {
        _h.Chat.Enqueue(ScriptedReply.Error(System.Net.HttpStatusCode.BadRequest), Plan(), Build(Patch("hi", "welcome")));

        var result = await Team().RunAsync(Request(architect: true), null, CancellationToken.None);

        Assert.Equal(3, _h.Chat.Calls.Count);
        Assert.NotEmpty(_h.Chat.Calls[0].Options!.Tools!);
        Assert.True(_h.Chat.Calls[1].Options!.Tools is null or { Count: 0 });
        Assert.True(_h.Chat.Calls[2].Options!.Tools is null or { Count: 0 }); // the Builder is not offered them again
        Assert.Contains("asked again without tools", Assert.Single(ToolCalls)["error"]!.GetValue<string>());
        Assert.Equal("apply_patch", Assert.Single(result.Proposals).Tool);
    }

    [Fact]
    public void TheDefaultConfigHasTheAgentsSectionAndATypoInItIsRefused()
    {
        var defaults = MiniMe.Configuration.ConfigurationLoader.Load(_repo.Home); // config.yaml as `minime init` wrote it
        Assert.True(defaults.Agents.Tools);
        Assert.Equal(8, defaults.Agents.MaxToolCalls);
        Assert.Equal(16384, defaults.Agents.MaxToolResultBytes);
        Assert.Equal(65536, defaults.Agents.CurrentFileBytes);

        var set = MiniMe.Configuration.ConfigurationLoader.Load(_repo.Home, [new("agents:maxToolCalls", "3"), new("agents:tools", "false")]);
        Assert.Equal(3, set.Agents.MaxToolCalls);
        Assert.False(set.Agents.Tools);
        var range = Assert.ThrowsAny<MiniMeException>(() => MiniMe.Configuration.ConfigurationLoader.Load(_repo.Home, [new("agents:maxToolCalls", "100")]));
        Assert.Contains("agents.maxToolCalls must be between 0 and 64", range.Message);
        var config = File.ReadAllText(_repo.Home.ConfigPath);
        Assert.Contains("  maxToolCalls: 8 ", config);
        File.WriteAllText(_repo.Home.ConfigPath, config.Replace("  maxToolCalls: 8 ", "  maxToolCall: 8 ", StringComparison.Ordinal));
        var typo = Assert.ThrowsAny<MiniMeException>(() => MiniMe.Configuration.ConfigurationLoader.Load(_repo.Home));
        Assert.Contains("agents.maxToolCall", typo.Message);
    }
}
