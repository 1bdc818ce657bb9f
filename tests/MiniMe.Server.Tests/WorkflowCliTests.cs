using System.Diagnostics;
using System.Text.Json;
using MiniMe.Agents;
using MiniMe.Server.Tests.Support;
using MiniMe.Testing;
using MiniMe.Tracing;

namespace MiniMe.Server.Tests;

/// <summary>`minime workflow` and `minime runs resume` over a real workspace, against the loopback model; the kill test runs the built CLI as a process.</summary>
public sealed class WorkflowCliTests : IDisposable
{
    private readonly string _home = Path.Combine(Path.GetTempPath(), "minime-server-tests", Guid.NewGuid().ToString("N"));
    private readonly string _trust = Directory.CreateTempSubdirectory("minime-workflow-trust-").FullName;

    private Task<(int Code, string Out, string Error)> RunAsync(params string[] args) => CliRun.RunAsync(_home, Path.Combine(_trust, "trust.json"), args);

    private Dictionary<string, string> Environment() => new() { ["MINIME_TRUST_FILE"] = Path.Combine(_trust, "trust.json") };

    private async Task InitWithModelAsync(LoopbackOpenAiServer model)
    {
        Assert.Equal(0, (await RunAsync("init", "--name", "nima")).Code);
        LoopbackWorkspace.UseModel(_home, model);
        LoopbackWorkspace.AddThreeNodeWorkflow(_home);
    }

    private static string AgentOf(RecordedRequest r) => AgentReplies.AgentOf(r.MessagesText);

    /// <summary>An integrator that proposes nothing: these tests are about the run, not the approval of its actions.</summary>
    private static ScriptedReply Reply(string agent) => AgentReplies.For(agent, integration: """{"summary":"Nothing to change.","proposals":[]}""");

    [Fact]
    public async Task Validate_exits_0_for_a_valid_manifest_and_2_with_every_problem_as_file_line_col()
    {
        Assert.Equal(0, (await RunAsync("init", "--name", "nima")).Code);
        var good = Path.Combine(_home, "workflows", "three.workflow.yaml");
        File.WriteAllText(good, LoopbackWorkspace.ThreeNodes);
        var bad = Path.Combine(_home, "broken.workflow.yaml");
        File.WriteAllText(bad, LoopbackWorkspace.ThreeNodes.Replace("type: agent, agent: builder", "type: agnet, agent: builder", StringComparison.Ordinal)
            .Replace("to: integrate }", "to: integrat }", StringComparison.Ordinal));

        var ok = await RunAsync("workflow", "validate", good);
        var broken = await RunAsync("workflow", "validate", bad);

        Assert.True(ok.Code == 0, ok.Error);
        Assert.Contains("valid workflow 'three' (3 nodes, 2 edges, entry plan, exit integrate)", ok.Out, StringComparison.Ordinal);
        Assert.True(broken.Code == 2, broken.Error);
        Assert.Equal([
            $"error: {bad}:5:24: node 'build': unknown node type 'agnet'; did you mean 'agent'?",
            $"error: {bad}:8:23: edge to 'build': no such node (nodes: plan, integrate)",
            $"error: {bad}:9:13: edge from 'build': no such node (nodes: plan, integrate)",
            $"error: {bad}:9:24: edge to 'integrat': no such node; did you mean 'integrate'?",
            $"error: {bad}:11:7: no path leads from entry 'plan' to exit 'integrate'",
            $"error: {bad}:6:5: node 'integrate' is unreachable from entry 'plan'",
        ], broken.Error.Trim().Split('\n'), StringComparer.Ordinal);
        var missing = await RunAsync("workflow", "validate", "nope");
        Assert.Equal(1, missing.Code);
        Assert.StartsWith("error: No workflow 'nope'", missing.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_shows_the_builtin_team_and_the_workspace_workflows_and_show_prints_one()
    {
        Assert.Equal(0, (await RunAsync("init", "--name", "nima")).Code);
        Assert.True(Directory.Exists(Path.Combine(_home, "workflows")), "init creates workflows/");
        File.WriteAllText(Path.Combine(_home, "workflows", "three.workflow.yaml"), LoopbackWorkspace.ThreeNodes);
        File.WriteAllText(Path.Combine(_home, "workflows", "bad.workflow.yaml"), "name: bad\nnodes: []\nentry: a\nexit: a\n");

        var list = await RunAsync("workflow", "list", "--json");
        var show = await RunAsync("workflow", "show", "builtin:team");

        Assert.True(list.Code == 0, list.Error);
        var entries = JsonDocument.Parse(list.Out).RootElement.EnumerateArray()
            .Select(e => (e.GetProperty("name").GetString(), e.GetProperty("builtin").GetBoolean(), e.GetProperty("valid").GetBoolean())).ToList();
        Assert.Equal([("builtin:team", true, true), ("bad", false, false), ("three", false, true)], entries);
        Assert.Equal(0, show.Code);
        Assert.Contains("max_iterations: auto", show.Out, StringComparison.Ordinal);
        Assert.Contains("# entry architect, exit integrator", show.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_workflow_runs_by_name_against_the_model_and_ask_runs_one_with_workflow()
    {
        await using var model = await LoopbackOpenAiServer.StartAsync();
        model.Responder = r => Reply(AgentOf(r));
        await InitWithModelAsync(model);

        var run = await RunAsync("workflow", "run", "three", "Add a greeting helper");

        Assert.True(run.Code == 0, run.Error);
        Assert.Equal(["architect", "builder", "integrator"], model.ChatRequests.Select(AgentOf));
        Assert.Contains("Follow the plan: One helper and its test.", model.ChatRequests[1].MessagesText, StringComparison.Ordinal);
        Assert.Contains(": completed;", run.Out, StringComparison.Ordinal);
        var runs = JsonDocument.Parse((await RunAsync("runs", "--json")).Out).RootElement;
        var runId = runs[0].GetProperty("run_id").GetString()!;
        Assert.Equal("completed", runs[0].GetProperty("status").GetString());
        var trace = new TraceStore(Path.Combine(_home, "traces")).Read(runId);
        Assert.Equal(["plan", "build", "integrate"], trace.Where(e => e.EventType == TraceEventTypes.NodeEnd).Select(e => e.Data["node"]!.GetValue<string>()));
        Assert.True(File.Exists(Path.Combine(_home, "runs", runId + ".checkpoint.json")), "checkpointed in runs/");

        var ask = await RunAsync("ask", "--workflow", "builtin:team", "Add a greeting helper");
        Assert.True(ask.Code == 0, ask.Error);
        // `ask --workflow builtin:team` is `ask`: the masks route this trivial task's Architect out.
        Assert.Equal(["builder", "critic", "integrator"], model.ChatRequests.Skip(3).Select(AgentOf));
    }

    /// <summary>A manifest run and a plain `ask` (the builtin:team workflow) alike: killed in the first Builder call, resumed from the checkpoint.</summary>
    [Theory]
    [InlineData("workflow", "plan", "architect,builder,builder,integrator")]
    [InlineData("ask", "architect", "architect,builder,builder,critic,integrator")]
    public async Task A_run_killed_by_SIGKILL_mid_node_resumes_without_calling_the_completed_node_again(string command, string completedNode, string expectedAgents)
    {
        await using var model = await LoopbackOpenAiServer.StartAsync();
        var release = new TaskCompletionSource();
        var heldOnce = 0;
        model.Responder = r =>
        {
            var agent = AgentOf(r);
            var reply = Reply(agent);
            // The first builder call hangs until the test says so: the process is killed while it is in flight.
            return agent == AgentNames.Builder && Interlocked.Exchange(ref heldOnce, 1) == 0 ? reply.HeldUntil(release.Task) : reply;
        };
        await InitWithModelAsync(model);

        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        // The ask's task is not trivial, so the masks keep the Architect (builtin:team routes a trivial task's Architect out).
        string[] run = command == "ask"
            ? ["ask", "Redesign the greeting system architecture for concurrency, then migrate the callers and refactor the tests"]
            : ["workflow", "run", "three", "Add a greeting helper"];
        string[] argv = [Path.Combine(AppContext.BaseDirectory, "minime.dll"), .. run, "--home", _home];
        foreach (var a in argv) info.ArgumentList.Add(a);
        info.Environment.Remove("MINIME_HOME");
        foreach (var (k, v) in Environment()) info.Environment[k] = v;
        using (var process = Process.Start(info)!)
        {
            process.StandardInput.Close();
            _ = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            await model.WaitForChatRequestsAsync(2, TimeSpan.FromMinutes(2));
            Assert.Equal(["architect", "builder"], model.ChatRequests.Select(AgentOf));
            process.Kill(); // SIGKILL on Unix: no handler runs, no run_end is written
            await process.WaitForExitAsync();
        }
        release.SetResult();

        var listed = JsonDocument.Parse((await RunAsync("runs", "--json")).Out).RootElement[0];
        var runId = listed.GetProperty("run_id").GetString()!;
        Assert.Equal("resumable", listed.GetProperty("status").GetString());
        var table = await RunAsync("runs");
        Assert.Contains("resumable", table.Out, StringComparison.Ordinal);

        var resumed = await ServeProcess.RunToExitAsync(["runs", "resume", runId, "--home", _home], Environment());

        Assert.True(resumed.ExitCode == 0, resumed.Error);
        Assert.Equal(expectedAgents.Split(','), model.ChatRequests.Select(AgentOf));
        Assert.Equal(1, model.ChatRequests.Count(r => AgentOf(r) == AgentNames.Architect));
        var after = JsonDocument.Parse((await RunAsync("runs", "--json")).Out).RootElement[0];
        Assert.Equal((runId, "completed"), (after.GetProperty("run_id").GetString(), after.GetProperty("status").GetString()));
        var trace = new TraceStore(Path.Combine(_home, "traces")).Read(runId);
        var resumedEvent = trace.Last(e => e.EventType == TraceEventTypes.WorkflowStart);
        Assert.True(resumedEvent.Data["resumed"]!.GetValue<bool>());
        Assert.Equal([completedNode], resumedEvent.Data["completed_nodes"]!.AsArray().Select(n => n!.GetValue<string>()));
        var again = await RunAsync("runs", "resume", runId);
        Assert.Equal(2, again.Code);
        Assert.Equal($"error: Run {runId} already completed; nothing to resume.", again.Error.Trim());
    }

    private const string Probe = """
        name: probe
        nodes:
          - { id: version, type: tool, tool: run_command, arguments: { argv: ["dotnet", "--version"] } }
          - { id: check, type: decision, condition: "nodes.version.output.exit_code == 0" }
          - { id: plan, type: agent, agent: architect, prompt: "The SDK is {{nodes.version.output.stdout}}" }
          - { id: report, type: agent, agent: architect, prompt: "The probe failed: {{nodes.version.error}}" }
        edges:
          - { from: version, to: check }
          - { from: check, to: plan, kind: conditional, when: "nodes.version.output.stdout contains '.'" }
          - { from: version, to: report, kind: error }
        entry: version
        exit: plan
        """;

    [Fact]
    public async Task A_tool_node_runs_only_once_approved_and_its_exit_code_and_stdout_reach_the_next_nodes()
    {
        await using var model = await LoopbackOpenAiServer.StartAsync();
        model.Responder = r => Reply(AgentOf(r));
        await InitWithModelAsync(model);
        File.WriteAllText(Path.Combine(_home, "workflows", "probe.workflow.yaml"), Probe);
        Assert.Equal(0, (await RunAsync("trust", "--yes")).Code);

        // Without a terminal and without --yes nothing is approved: the tool node fails, its error edge takes over, the exit is never reached.
        var refused = await RunAsync("workflow", "run", "probe", "Check the SDK");
        Assert.Equal(1, refused.Code);
        Assert.Contains("ended without reaching its exit 'plan'", refused.Error, StringComparison.Ordinal);
        Assert.Contains("The probe failed: run_command was not run (rejected)", Assert.Single(model.ChatRequests).MessagesText, StringComparison.Ordinal);

        var approved = await RunAsync("workflow", "run", "probe", "Check the SDK", "--yes");
        Assert.True(approved.Code == 0, approved.Error);
        var version = System.Diagnostics.Process.Start(new ProcessStartInfo("dotnet", "--version") { RedirectStandardOutput = true })!;
        var expected = (await version.StandardOutput.ReadToEndAsync()).Trim();
        Assert.Contains("The SDK is " + expected, model.ChatRequests[^1].MessagesText, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_home, recursive: true); } catch (IOException) { }
        try { Directory.Delete(_trust, recursive: true); } catch (IOException) { }
    }
}
