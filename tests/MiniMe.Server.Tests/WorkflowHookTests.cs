using MiniMe.Agents;
using MiniMe.Server.Tests.Support;
using MiniMe.Testing;
using MiniMe.Tracing;

namespace MiniMe.Server.Tests;

/// <summary>
/// Hooks of workflow runs through the real `minime` command line and real hook programs: a manifest's own
/// hooks (trusted with the workspace, only from workflows/), and config.yaml's before_run on a workflow run.
/// </summary>
public sealed class WorkflowHookTests : IDisposable
{
    // The hook programs live in the project (the tools root); the MiniMe home inside it is not readable by tools or hooks.
    private readonly string _project = Directory.CreateTempSubdirectory("minime-workflow-hooks-").FullName;
    private string Home => Path.Combine(_project, ".minime");
    private readonly string _trust = Directory.CreateTempSubdirectory("minime-workflow-hook-trust-").FullName;

    private static readonly string Python = new[] { "/usr/bin/python3", "/usr/local/bin/python3" }.FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException("these tests need python3 at /usr/bin/python3 or /usr/local/bin/python3");

    private Task<(int Code, string Out, string Error)> RunAsync(params string[] args) => CliRun.RunAsync(Home, Path.Combine(_trust, "trust.json"), args);

    public void Dispose()
    {
        Directory.Delete(_project, recursive: true);
        Directory.Delete(_trust, recursive: true);
    }

    /// <summary>A plan and a second opinion joined by a merge: vetoing the second opinion still reaches the exit.</summary>
    private string Guarded(string hookProgram) => $$"""
        name: guarded
        hooks:
          - event: before_node
            program: ["{{Python}}", "{{hookProgram}}"]
        nodes:
          - { id: plan, type: agent, agent: architect }
          - { id: second, type: agent, agent: architect, prompt: "A second opinion." }
          - { id: done, type: merge, inputs: [plan, second], strategy: first }
        edges:
          - { from: plan, to: second }
          - { from: plan, to: done }
          - { from: second, to: done }
        entry: plan
        exit: done
        """;

    private const string Guard = """
        import json, sys
        event = json.load(sys.stdin)
        if event.get("node") == "second":
            print(json.dumps({"decision": "deny", "reason": "one plan is enough"}))
        else:
            print(json.dumps({"decision": "allow"}))
        """;

    private async Task InitWithModelAsync(LoopbackOpenAiServer model)
    {
        Assert.Equal(0, (await RunAsync("init", "--name", "nima")).Code);
        LoopbackWorkspace.UseModel(Home, model);
        model.Responder = r => AgentReplies.For(AgentReplies.AgentOf(r.MessagesText), integration: """{"summary":"Nothing to change.","proposals":[]}""");
    }

    private List<TraceEvent> Trace(string runId) => [.. new TraceStore(Path.Combine(Home, "traces")).Read(runId)];

    private string LatestRunId() => Path.GetFileNameWithoutExtension(
        new DirectoryInfo(Path.Combine(Home, "traces")).GetFiles("*.jsonl").OrderBy(f => f.LastWriteTimeUtc).Last().Name);

    [Fact]
    public async Task A_manifests_hook_runs_only_once_the_workspace_is_trusted_again_and_then_vetoes_its_node()
    {
        await using var model = await LoopbackOpenAiServer.StartAsync();
        await InitWithModelAsync(model);
        File.WriteAllText(Path.Combine(_project, "guard.py"), Guard);
        Assert.Equal(0, (await RunAsync("trust", "--yes")).Code);
        File.WriteAllText(Path.Combine(Home, "workflows", "guarded.workflow.yaml"), Guarded(Path.Combine(_project, "guard.py")));

        // The hook arrived after trust: trust did not cover it, so it runs nothing and its before_node denies.
        var untrusted = await RunAsync("workflow", "run", "guarded", "Add a greeting helper");
        Assert.NotEqual(0, untrusted.Code);
        Assert.Contains("trust", untrusted.Error, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(model.ChatRequests);

        var trust = await RunAsync("trust", "--yes");
        Assert.True(trust.Code == 0, trust.Out + trust.Error);
        Assert.Contains("workflows/guarded.workflow.yaml hooks:", trust.Out, StringComparison.Ordinal);

        var run = await RunAsync("workflow", "run", "guarded", "Add a greeting helper");

        Assert.True(run.Code == 0, run.Out + run.Error);
        Assert.Equal([AgentNames.Architect], model.ChatRequests.Select(r => AgentReplies.AgentOf(r.MessagesText)));
        var events = Trace(LatestRunId());
        var ends = events.Where(e => e.EventType == TraceEventTypes.NodeEnd).ToDictionary(e => e.Data["node"]!.GetValue<string>(), e => e.Data["status"]!.GetValue<string>());
        Assert.Equal("vetoed", ends["second"]);
        Assert.Equal("completed", ends["done"]);
        var verdicts = events.Where(e => e.EventType == TraceEventTypes.Hook).Select(e => (e.Data["event"]!.GetValue<string>(), e.Data["verdict"]!.GetValue<string>())).ToList();
        Assert.Contains(("before_node", "deny"), verdicts);
        Assert.Equal("completed", events.Last(e => e.EventType == TraceEventTypes.RunEnd).Data["status"]!.GetValue<string>());

        // Editing the hook changes what trust covered: it stops running until the user looks again.
        File.WriteAllText(Path.Combine(Home, "workflows", "guarded.workflow.yaml"), Guarded(Path.Combine(_project, "guard.py")).Replace("guard.py\"]", "guard.py\", \"--strict\"]", StringComparison.Ordinal));
        var edited = await RunAsync("workflow", "run", "guarded", "Add a greeting helper");
        Assert.NotEqual(0, edited.Code);
        Assert.Contains("trust", edited.Error, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_manifest_outside_the_workflows_folder_may_not_bring_hooks()
    {
        await using var model = await LoopbackOpenAiServer.StartAsync();
        await InitWithModelAsync(model);
        var elsewhere = Path.Combine(_trust, "guarded.workflow.yaml");
        File.WriteAllText(elsewhere, Guarded("guard.py"));

        var result = await RunAsync("workflow", "run", elsewhere, "Add a greeting helper");

        Assert.Equal(2, result.Code);
        Assert.Equal($"error: {elsewhere}: a manifest's hooks run only from the workspace's workflows/ folder, which `minime trust` covers; copy the manifest there, or move its hooks to config.yaml.",
            result.Error.Trim());
        Assert.Empty(model.ChatRequests);
    }

    [Fact]
    public async Task A_config_before_run_hook_vetoes_a_workflow_run_before_any_model_call()
    {
        await using var model = await LoopbackOpenAiServer.StartAsync();
        await InitWithModelAsync(model);
        File.WriteAllText(Path.Combine(_project, "no_deploys.py"), """
            import json, sys
            event = json.load(sys.stdin)
            print(json.dumps({"decision": "deny", "reason": "no deploys on Fridays"} if "deploy" in event["task"] else {"decision": "allow"}))
            """);
        File.AppendAllText(Path.Combine(Home, "config.yaml"), $"""

            hooks:
              - event: before_run
                program: ["{Python}", "{Path.Combine(_project, "no_deploys.py")}"]
            """);
        Assert.Equal(0, (await RunAsync("trust", "--yes")).Code);

        var vetoed = await RunAsync("workflow", "run", "builtin:team", "deploy the service");

        Assert.Equal(1, vetoed.Code);
        Assert.Contains("no deploys on Fridays", vetoed.Error, StringComparison.Ordinal);
        Assert.Empty(model.ChatRequests);
        var events = Trace(LatestRunId());
        Assert.Equal("vetoed", events.Last(e => e.EventType == TraceEventTypes.RunEnd).Data["status"]!.GetValue<string>());
        Assert.DoesNotContain(events, e => e.EventType == TraceEventTypes.WorkflowStart);

        var allowed = await RunAsync("workflow", "run", "builtin:team", "Add a greeting helper");
        Assert.True(allowed.Code == 0, allowed.Out + allowed.Error);
        // builtin:team routes a trivial task's Architect out, as `ask` does.
        Assert.Equal(["builder", "critic", "integrator"], model.ChatRequests.Select(r => AgentReplies.AgentOf(r.MessagesText)));
    }
}
