using System.Text.Json.Nodes;
using MiniMe.Cli;
using MiniMe.Cli.Hosting;
using MiniMe.Tools.Tests.Support;
using MiniMe.Tracing;

namespace MiniMe.Tools.Tests.Cli;

/// <summary>config.yaml hooks: end to end through the `minime` command line: validation, a vetoed tool run, a vetoed ask.</summary>
public sealed class HookCliTests : IDisposable
{
    private readonly string _project = Directory.CreateTempSubdirectory("minime-cli-hooks-").FullName;
    private readonly string _trust = Directory.CreateTempSubdirectory("minime-cli-hooks-trust-").FullName;

    private static readonly string Python = new[] { "/usr/bin/python3", "/usr/local/bin/python3" }.FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException("these tests need python3 at /usr/bin/python3 or /usr/local/bin/python3");

    private string Home => Path.Join(_project, ".minime");

    public HookCliTests()
    {
        Directory.CreateDirectory(Path.Join(_project, "src"));
        File.WriteAllText(Path.Join(_project, "src", "app.cs"), "class App { }\n");
        Assert.Equal(0, Run(["init", "--name", "tester"]).Code);
    }

    public void Dispose()
    {
        Directory.Delete(_project, recursive: true);
        Directory.Delete(_trust, recursive: true);
    }

    private sealed record Result(int Code, string Out, string Error);

    private Result Run(string[] args) => RunAsync(args).GetAwaiter().GetResult();

    private async Task<Result> RunAsync(string[] args)
    {
        var console = new CapturedConsole();
        var error = new StringWriter();
        var context = new CliContext(console.Console, error, interactive: false, new StringReader(""), inputInteractive: false, trustFile: Path.Join(_trust, "trust.json"));
        var code = await CliApp.RunAsync([.. args, "--home", Home], context);
        return new Result(code, console.Text, error.ToString());
    }

    private void AddHooks(string yaml) => File.AppendAllText(Path.Join(Home, "config.yaml"), "\nhooks:\n" + yaml);

    private List<TraceEvent> Trace(string runId) => [.. new TraceStore(Path.Join(Home, "traces")).Read(runId)];

    private static string RunIdIn(string text) =>
        System.Text.RegularExpressions.Regex.Match(text, @"run (\S+) ").Groups[1].Value;

    [Fact]
    public void An_unknown_hook_event_is_one_line_with_the_closest_name_and_exit_2()
    {
        AddHooks($"""
              - event: befor_tool
                program: ["{Python}", "hook.py"]
            """);
        var result = Run(["tool", "list"]);

        Assert.Equal(2, result.Code);
        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.Contains("hooks[0].event", StringComparison.Ordinal));
        Assert.Contains("config.yaml:", line, StringComparison.Ordinal);
        Assert.Contains("'befor_tool' is not one of", line, StringComparison.Ordinal);
        Assert.Contains("did you mean before_tool?", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_hook_entries_are_each_reported()
    {
        AddHooks("""
              - event: before_run
                program: ["python3 hook.py"]
                timeoutSeconds: 0
                match:
                  tool: write_file
              - event: after_tool
                onError: maybe
            """);
        var result = Run(["tool", "list"]);

        Assert.Equal(2, result.Code);
        Assert.Contains("hooks[0].program: 'python3 hook.py' is one string with spaces", result.Error, StringComparison.Ordinal);
        Assert.Contains("hooks[0].timeoutSeconds must be between 1 and 600 (is 0)", result.Error, StringComparison.Ordinal);
        Assert.Contains("hooks[0].match.tool: 'write_file' applies only to before_tool and after_tool hooks", result.Error, StringComparison.Ordinal);
        Assert.Contains("'maybe' is not one of", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_config_program_hook_vetoes_a_tool_run_and_the_user_sees_the_reason()
    {
        File.WriteAllText(Path.Join(_project, "guard.py"), """
            import json, sys
            event = json.load(sys.stdin)
            if event["arguments"]["path"].startswith("src/"):
                print(json.dumps({"decision": "deny", "reason": "src/ is frozen until the release"}))
            else:
                print(json.dumps({"decision": "allow"}))
            """);
        AddHooks($"""
              - event: before_tool
                program: ["{Python}", "guard.py"]
                match:
                  tool: write_file
            """);
        var result = Run(["tool", "run", "write_file", "--args", """{"path": "src/new.cs", "content": "class New { }\n"}""", "--yes"]);

        Assert.Equal(1, result.Code);
        Assert.Contains($"error: vetoed by hook {Python} guard.py: src/ is frozen until the release", result.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Join(_project, "src", "new.cs")));
        var trace = Trace(RunIdIn(result.Out));
        Assert.Equal("vetoed", trace.Single(e => e.EventType == TraceEventTypes.Execution).Data["status"]!.GetValue<string>());
        Assert.Equal("deny", trace.Single(e => e.EventType == TraceEventTypes.Hook).Data["verdict"]!.GetValue<string>());

        var allowed = Run(["tool", "run", "write_file", "--args", """{"path": "docs/notes.md", "content": "ok\n"}""", "--yes"]);
        Assert.Equal(0, allowed.Code);
        Assert.Equal("ok\n", File.ReadAllText(Path.Join(_project, "docs", "notes.md")));
    }

    [Fact]
    public void A_before_run_hook_vetoes_an_ask_and_the_run_ends_vetoed()
    {
        File.WriteAllText(Path.Join(_project, "no_deploys.py"), """
            import json, sys
            event = json.load(sys.stdin)
            if "deploy" in event["task"]:
                print(json.dumps({"decision": "deny", "reason": "no deploys on Fridays"}))
            else:
                print(json.dumps({"decision": "allow"}))
            """);
        File.WriteAllText(Path.Join(_project, "allow.py"), "import json, sys\njson.load(sys.stdin)\nprint(json.dumps({'decision': 'allow'}))\n");
        AddHooks($"""
              - event: before_run
                program: ["{Python}", "no_deploys.py"]
              - event: after_run
                program: ["{Python}", "allow.py"]
            """);
        var vetoed = Run(["ask", "--dry-run", "deploy the service"]);

        Assert.Equal(1, vetoed.Code);
        Assert.Contains("no deploys on Fridays", vetoed.Error, StringComparison.Ordinal);
        var traces = Directory.GetFiles(Path.Join(Home, "traces"), "*.jsonl");
        var events = Trace(Path.GetFileNameWithoutExtension(Assert.Single(traces)));
        Assert.Equal("vetoed", events.Last(e => e.EventType == TraceEventTypes.RunEnd).Data["status"]!.GetValue<string>());
        Assert.DoesNotContain(events, e => e.EventType == TraceEventTypes.Retrieval);
        Assert.DoesNotContain(events, e => e.EventType == TraceEventTypes.Hook && e.Data["event"]!.GetValue<string>() == "after_run");

        var allowed = Run(["ask", "--dry-run", "explain App"]);
        Assert.Equal(0, allowed.Code);
        var second = Directory.GetFiles(Path.Join(Home, "traces"), "*.jsonl").Except(traces).Single();
        var hooks = Trace(Path.GetFileNameWithoutExtension(second)).Where(e => e.EventType == TraceEventTypes.Hook).ToList();
        Assert.Equal(["before_run", "after_run"], hooks.Select(e => e.Data["event"]!.GetValue<string>()));
        Assert.Equal(["allow", "allow"], hooks.Select(e => e.Data["verdict"]!.GetValue<string>()));
    }
}
