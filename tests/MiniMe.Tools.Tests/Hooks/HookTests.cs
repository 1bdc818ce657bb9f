using System.Text.Json.Nodes;
using MiniMe.Hooks;
using MiniMe.Tools.Approval;
using MiniMe.Tools.Hooks;
using MiniMe.Tools.Tests.Support;
using MiniMe.Tracing;

namespace MiniMe.Tools.Tests.Hooks;

/// <summary>before_tool/after_tool hooks in the tool runner: in-process hooks and real program hooks (python3 scripts reading the event on stdin).</summary>
public sealed class HookTests
{
    private const string WriteArgs = """{"path": "src/hello.txt", "content": "hello\n"}""";

    /// <summary>An absolute python3 (program hooks run without a shell and with a scrubbed environment, so no pyenv shim).</summary>
    private static readonly string Python = new[] { "/usr/bin/python3", "/usr/local/bin/python3" }.FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException("these tests need python3 at /usr/bin/python3 or /usr/local/bin/python3");

    private sealed class DenyPathHook(string path) : IRunHook
    {
        public List<HookEvent> Seen { get; } = [];
        public string Name => "deny-path";

        public ValueTask<HookVerdict> OnEventAsync(HookEvent e, CancellationToken cancellationToken)
        {
            Seen.Add(e);
            return ValueTask.FromResult(e.Name == HookEvents.BeforeTool && e.Tool == "write_file" && (string?)e.Payload["arguments"]!["path"] == path
                ? HookVerdict.Denied($"{path} is frozen")
                : HookVerdict.Allowed);
        }
    }

    private sealed class RedirectHook : IRunHook
    {
        public string Name => "redirect";
        public bool Handles(HookEvent e) => e.Name == HookEvents.BeforeTool;

        public ValueTask<HookVerdict> OnEventAsync(HookEvent e, CancellationToken cancellationToken) =>
            ValueTask.FromResult<HookVerdict>(new HookVerdict.Patch(new JsonObject { ["arguments"] = new JsonObject { ["path"] = "docs/hello.md" } }));
    }

    private static HookOptions Program(ToolWorkspace w, string script, string body, int timeoutSeconds = 10, HookErrorPolicy? onError = null, string? tool = null)
    {
        w.Write(script, body);
        return new HookOptions
        {
            Event = HookEvents.BeforeTool,
            Program = [Python, script],
            TimeoutSeconds = timeoutSeconds,
            OnError = onError,
            Match = tool is null ? null : new HookMatch { Tool = tool },
        };
    }

    private const string DenyGit = """
        import json, sys
        event = json.load(sys.stdin)
        argv = event.get("arguments", {}).get("argv", [])
        if event["event"] == "before_tool" and event["tool"] == "run_command" and argv[:1] == ["git"]:
            print(json.dumps({"decision": "deny", "reason": "no git from agents (run " + event["run_id"] + ")"}))
        else:
            print(json.dumps({"decision": "allow"}))
        """;

    [Fact]
    public async Task An_in_process_hook_denying_write_file_for_a_path_vetoes_it_and_nothing_is_written()
    {
        var hook = new DenyPathHook("src/hello.txt");
        using var w = new ToolWorkspace(hooks: [hook]);
        var outcome = await w.RunAsync("write_file", WriteArgs);

        Assert.Equal(OutcomeStatus.Vetoed, outcome.Status);
        Assert.Equal("vetoed by hook deny-path: src/hello.txt is frozen", outcome.Message);
        Assert.False(File.Exists(w.PathOf("src/hello.txt")));
        var execution = Assert.Single(w.Events(TraceEventTypes.Execution));
        Assert.Equal("vetoed", execution.Data["status"]!.GetValue<string>());
        Assert.Contains("src/hello.txt is frozen", execution.Data["message"]!.GetValue<string>(), StringComparison.Ordinal);
        var decision = Assert.Single(w.Events(TraceEventTypes.Hook));
        Assert.Equal("before_tool", decision.Data["event"]!.GetValue<string>());
        Assert.Equal("deny-path", decision.Data["hook"]!.GetValue<string>());
        Assert.Equal("deny", decision.Data["verdict"]!.GetValue<string>());
        Assert.Equal("src/hello.txt is frozen", decision.Data["reason"]!.GetValue<string>());
        Assert.NotNull(decision.Data["ms"]);
        // The approval came first: the hook saw the accepted action; after_tool was never reached.
        Assert.Equal("accepted", Assert.Single(w.Events(TraceEventTypes.Approval)).Data["decision"]!.GetValue<string>());
        Assert.Equal([HookEvents.BeforeTool], hook.Seen.Select(e => e.Name));
    }

    [Fact]
    public async Task The_same_hook_allows_another_path_and_is_told_after_the_tool_ran()
    {
        var hook = new DenyPathHook("src/frozen.txt");
        using var w = new ToolWorkspace(hooks: [hook]);
        var outcome = await w.RunAsync("write_file", WriteArgs);

        Assert.Equal(OutcomeStatus.Succeeded, outcome.Status);
        Assert.Equal("hello\n", File.ReadAllText(w.PathOf("src/hello.txt")));
        Assert.Equal([HookEvents.BeforeTool, HookEvents.AfterTool], hook.Seen.Select(e => e.Name));
        Assert.Equal("succeeded", hook.Seen[1].Payload["status"]!.GetValue<string>());
        Assert.Equal(["allow", "allow"], w.Events(TraceEventTypes.Hook).Select(e => e.Data["verdict"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_patch_hook_changes_the_arguments_and_the_patched_arguments_are_executed()
    {
        using var w = new ToolWorkspace(hooks: [new RedirectHook()]);
        var outcome = await w.RunAsync("write_file", WriteArgs);

        Assert.Equal(OutcomeStatus.Succeeded, outcome.Status);
        Assert.False(File.Exists(w.PathOf("src/hello.txt")));
        Assert.Equal("hello\n", File.ReadAllText(w.PathOf("docs/hello.md")));
        Assert.Equal("docs/hello.md", outcome.Proposal.Arguments["path"]!.GetValue<string>());
        var execution = Assert.Single(w.Events(TraceEventTypes.Execution));
        Assert.Equal("docs/hello.md", execution.Data["args"]!["path"]!.GetValue<string>());
        var decision = Assert.Single(w.Events(TraceEventTypes.Hook));
        Assert.Equal("patch", decision.Data["verdict"]!.GetValue<string>());
        Assert.Equal("docs/hello.md", decision.Data["patch"]!["arguments"]!["path"]!.GetValue<string>());
    }

    [Fact]
    public async Task Patched_arguments_are_checked_against_the_allowlist_again()
    {
        var redirectOutside = new PatchTo("private/notes.txt");
        using var w = new ToolWorkspace(hooks: [redirectOutside]);
        var before = w.Snapshot(includeFeedback: false);
        var outcome = await w.RunAsync("write_file", WriteArgs);

        Assert.Equal(OutcomeStatus.Refused, outcome.Status);
        Assert.Contains("arguments patched by a hook", outcome.Message, StringComparison.Ordinal);
        Assert.Equal(before, w.Snapshot(includeFeedback: false));
    }

    private sealed class PatchTo(string path) : IRunHook
    {
        public string Name => "patch-to";
        public bool Handles(HookEvent e) => e.Name == HookEvents.BeforeTool;
        public ValueTask<HookVerdict> OnEventAsync(HookEvent e, CancellationToken cancellationToken) =>
            ValueTask.FromResult<HookVerdict>(new HookVerdict.Patch(new JsonObject { ["arguments"] = new JsonObject { ["path"] = path } }));
    }

    [Fact]
    public async Task A_program_hook_reading_the_event_on_stdin_vetoes_git_and_allows_other_commands()
    {
        using var w = new ToolWorkspace(programHooks: w => [Program(w, "hook.py", DenyGit, tool: "run_command")]);
        var git = await w.RunAsync("run_command", """{"argv": ["git", "status"]}""");

        Assert.Equal(OutcomeStatus.Vetoed, git.Status);
        Assert.Equal($"vetoed by hook {Python} hook.py: no git from agents (run test-run)", git.Message);
        var execution = Assert.Single(w.Events(TraceEventTypes.Execution));
        Assert.Equal("vetoed", execution.Data["status"]!.GetValue<string>());
        Assert.Null(execution.Data["exit_code"]);

        var sh = await w.RunAsync("run_command", """{"argv": ["sh", "scripts/hello.sh"]}""");
        Assert.Equal(OutcomeStatus.Succeeded, sh.Status);
        var hooks = w.Events(TraceEventTypes.Hook);
        Assert.Equal(["deny", "allow"], hooks.Select(e => e.Data["verdict"]!.GetValue<string>()));
        Assert.All(hooks, e => Assert.Equal("run_command", e.Data["tool"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_program_hook_matching_another_tool_is_not_run()
    {
        using var w = new ToolWorkspace(programHooks: w => [Program(w, "hook.py", "print('{\"decision\": \"deny\", \"reason\": \"never\"}')\n", tool: "run_command")]);
        var outcome = await w.RunAsync("write_file", WriteArgs);

        Assert.Equal(OutcomeStatus.Succeeded, outcome.Status);
        Assert.Empty(w.Events(TraceEventTypes.Hook));
    }

    [Fact]
    public async Task A_program_hook_that_times_out_denies_under_the_default_policy_and_the_trace_says_so()
    {
        using var w = new ToolWorkspace(programHooks: w => [Program(w, "slow.py", "import time\ntime.sleep(60)\n", timeoutSeconds: 1)]);
        var outcome = await w.RunAsync("write_file", WriteArgs);

        Assert.Equal(OutcomeStatus.Vetoed, outcome.Status);
        Assert.Contains("timed out after 1 s (onError: deny)", outcome.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(w.PathOf("src/hello.txt")));
        var decision = Assert.Single(w.Events(TraceEventTypes.Hook));
        Assert.Equal("deny", decision.Data["verdict"]!.GetValue<string>());
        Assert.Contains("hook failed: timed out after 1 s", decision.Data["reason"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_program_hook_printing_garbage_denies_under_onError_deny()
    {
        using var w = new ToolWorkspace(programHooks: w => [Program(w, "garbage.py", "print('sure, go ahead')\n")]);
        var outcome = await w.RunAsync("write_file", WriteArgs);

        Assert.Equal(OutcomeStatus.Vetoed, outcome.Status);
        Assert.Contains("answered something that is not a verdict: sure, go ahead", outcome.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(w.PathOf("src/hello.txt")));
    }

    [Fact]
    public async Task A_program_hook_printing_garbage_lets_the_tool_run_under_onError_allow_and_the_problem_is_traced()
    {
        using var w = new ToolWorkspace(programHooks: w => [Program(w, "garbage.py", "print('{\"decision\": \"maybe\"}')\n", onError: HookErrorPolicy.Allow)]);
        var outcome = await w.RunAsync("write_file", WriteArgs);

        Assert.Equal(OutcomeStatus.Succeeded, outcome.Status);
        Assert.True(File.Exists(w.PathOf("src/hello.txt")));
        var decision = Assert.Single(w.Events(TraceEventTypes.Hook));
        Assert.Equal("allow", decision.Data["verdict"]!.GetValue<string>());
        Assert.Contains("not a verdict", decision.Data["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("(onError: allow)", decision.Data["reason"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_program_hook_exiting_non_zero_denies_with_its_stderr()
    {
        using var w = new ToolWorkspace(programHooks: w => [Program(w, "crash.py", "import sys\nsys.stderr.write('policy file missing')\nsys.exit(3)\n")]);
        var outcome = await w.RunAsync("write_file", WriteArgs);

        Assert.Equal(OutcomeStatus.Vetoed, outcome.Status);
        Assert.Contains("exited with 3: policy file missing", outcome.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_program_hook_can_patch_the_arguments_and_in_process_hooks_run_first()
    {
        var seen = new DenyPathHook("nothing");
        const string Patch = """
            import json, sys
            event = json.load(sys.stdin)
            print(json.dumps({"decision": "patch", "patch": {"arguments": {"content": event["arguments"]["content"].upper()}}}))
            """;
        using var w = new ToolWorkspace(hooks: [seen], programHooks: w => [Program(w, "upper.py", Patch)]);
        var outcome = await w.RunAsync("write_file", WriteArgs);

        Assert.Equal(OutcomeStatus.Succeeded, outcome.Status);
        Assert.Equal("HELLO\n", File.ReadAllText(w.PathOf("src/hello.txt")));
        Assert.Equal(["deny-path", $"{Python} upper.py", "deny-path"], w.Events(TraceEventTypes.Hook).Select(e => e.Data["hook"]!.GetValue<string>()));
    }

    [BwrapFact]
    public async Task A_program_hook_runs_in_the_workspace_sandbox_and_cannot_write_outside_the_root()
    {
        string? target = null;
        using var w = new ToolWorkspace(sandbox: "bwrap", programHooks: w =>
        {
            target = Path.Join(w.Outside, "hooked.txt");
            return [Program(w, "escape.py", $$"""
                import json, sys
                json.load(sys.stdin)
                try:
                    open("{{target}}", "w").write("escaped")
                    print(json.dumps({"decision": "allow"}))
                except OSError as e:
                    print(json.dumps({"decision": "deny", "reason": "sandboxed: " + type(e).__name__}))
                """)];
        });
        var outcome = await w.RunAsync("write_file", WriteArgs);

        Assert.Equal(OutcomeStatus.Vetoed, outcome.Status);
        Assert.Contains("sandboxed: ", outcome.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(target));
    }

    [Fact]
    public void Verdicts_are_parsed_from_one_json_object()
    {
        Assert.IsType<HookVerdict.Allow>(ProgramHook.Parse("""{"decision":"allow"}"""));
        Assert.Equal("no", Assert.IsType<HookVerdict.Deny>(ProgramHook.Parse("""{"decision":"deny","reason":"no"}""")).Reason);
        Assert.IsType<HookVerdict.Patch>(ProgramHook.Parse("""{"decision":"patch","patch":{"a":1}}"""));
        Assert.Null(ProgramHook.Parse("""{"decision":"patch"}"""));
        Assert.Null(ProgramHook.Parse("""[{"decision":"allow"}]"""));
        Assert.Null(ProgramHook.Parse("allow"));
        Assert.Null(ProgramHook.Parse(""));
    }
}
