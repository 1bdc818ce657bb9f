using System.Text.Json.Nodes;
using MiniMe.Cli;
using MiniMe.Cli.Hosting;
using MiniMe.Tracing;
using MiniMe.Tools.Tests.Support;

namespace MiniMe.Tools.Tests.Cli;

/// <summary>`minime tool list` and `minime tool run` end to end, in process, on a real workspace.</summary>
public sealed class ToolCommandTests : IDisposable
{
    private readonly string _project = Directory.CreateTempSubdirectory("minime-cli-tools-").FullName;
    private readonly string _trust = Directory.CreateTempSubdirectory("minime-cli-trust-").FullName;

    private string Home => Path.Join(_project, ".minime");

    public ToolCommandTests()
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

    private Result Run(string[] args, string? input = null) => RunAsync(args, input).GetAwaiter().GetResult();

    private async Task<Result> RunAsync(string[] args, string? input = null)
    {
        var console = new CapturedConsole();
        var error = new StringWriter();
        var context = new CliContext(console.Console, error, interactive: false, new StringReader(input ?? ""), inputInteractive: input is not null, trustFile: Path.Join(_trust, "trust.json"));
        var code = await CliApp.RunAsync([.. args, "--home", Home], context);
        return new Result(code, console.Text, error.ToString());
    }

    [Fact]
    public void List_shows_the_six_tools_with_schemas()
    {
        var result = Run(["tool", "list", "--json"]);
        Assert.Equal(0, result.Code);
        var tools = JsonNode.Parse(result.Out)!.AsArray();
        Assert.Equal(["apply_patch", "read_file", "retrieve_memory", "run_command", "search_repo", "write_file"], tools.Select(t => t!["name"]!.GetValue<string>()));
        Assert.Equal(["apply_patch", "run_command", "write_file"], tools.Where(t => t!["needsApproval"]!.GetValue<bool>()).Select(t => t!["name"]!.GetValue<string>()));
        var write = tools.Single(t => t!["name"]!.GetValue<string>() == "write_file")!;
        Assert.Equal(["path", "content"], write["schema"]!["required"]!.AsArray().Select(r => r!.GetValue<string>()));
        Assert.Equal("write", write["category"]!.GetValue<string>());

        var table = Run(["tool", "list"]);
        Assert.Contains("run_command", table.Out, StringComparison.Ordinal);
        Assert.Contains("sandbox:", table.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_with_yes_writes_an_allowed_file_and_traces_the_run()
    {
        var result = Run(["tool", "run", "write_file", "--args", """{"path": "src/new.cs", "content": "class New { }\n"}""", "--yes"]);
        Assert.Equal(0, result.Code);
        Assert.Equal("class New { }\n", File.ReadAllText(Path.Join(_project, "src", "new.cs")));
        Assert.Contains("+class New { }", result.Out, StringComparison.Ordinal);
        var traces = new TraceStore(Path.Join(Home, "traces"));
        var run = Assert.Single(traces.List());
        Assert.Equal("succeeded", run.Status);
        var types = traces.Read(run.RunId).Select(e => e.EventType).ToList();
        Assert.Equal([TraceEventTypes.TaskStart, TraceEventTypes.ActionProposal, TraceEventTypes.Approval, TraceEventTypes.Execution, TraceEventTypes.RunEnd], types);
    }

    [Fact]
    public void Run_refused_by_the_allowlist_exits_1_with_one_line_even_with_yes()
    {
        var result = Run(["tool", "run", "write_file", "--args", """{"path": "../escape.txt", "content": "x"}""", "--yes"]);
        Assert.Equal(1, result.Code);
        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: refused: '../escape.txt' resolves to", line, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Join(Path.GetDirectoryName(_project)!, "escape.txt")));
    }

    [Theory]
    [InlineData("{bad")]
    [InlineData("[1, 2]")]
    public void Run_with_bad_json_arguments_exits_2(string args)
    {
        var result = Run(["tool", "run", "read_file", "--args", args]);
        Assert.Equal(2, result.Code);
        Assert.StartsWith("error: --args", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_with_arguments_that_break_the_schema_exits_2()
    {
        var result = Run(["tool", "run", "read_file", "--args", """{"file": "src/app.cs"}"""]);
        Assert.Equal(2, result.Code);
        Assert.Contains("unknown argument 'file'", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_without_a_terminal_and_without_yes_runs_nothing()
    {
        var result = Run(["tool", "run", "write_file", "--args", """{"path": "src/new.cs", "content": "x"}"""]);
        Assert.Equal(1, result.Code);
        Assert.Contains("not run: stdin is not interactive and --yes was not given", result.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Join(_project, "src", "new.cs")));
    }

    [Fact]
    public void Run_interactively_asks_and_accepts()
    {
        var result = Run(["tool", "run", "write_file", "--args", """{"path": "src/new.cs", "content": "x\n"}"""], input: "a\n");
        Assert.Equal(0, result.Code);
        Assert.Contains("Accept, reject or edit?", result.Out, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Join(_project, "src", "new.cs")));
    }

    [Fact]
    public void Run_interactively_rejected_stores_a_correction_pair_and_exits_1()
    {
        var result = Run(["tool", "run", "write_file", "--args", """{"path": "src/new.cs", "content": "x\n"}"""], input: "r\nnot now\n");
        Assert.Equal(1, result.Code);
        Assert.Contains("rejected: not now", result.Error, StringComparison.Ordinal);
        var pair = JsonNode.Parse(Assert.Single(File.ReadAllLines(Path.Join(Home, "feedback.jsonl"))))!;
        Assert.Equal("action_rejected", pair["delta"]!["kind"]!.GetValue<string>());
        Assert.Equal("not now", pair["correction"]!.GetValue<string>());
    }

    [Fact]
    public void Dry_run_shows_the_diff_and_writes_nothing()
    {
        var result = Run(["tool", "run", "write_file", "--args", """{"path": "src/app.cs", "content": "class App { int x; }\n"}""", "--dry-run", "--yes"]);
        Assert.Equal(0, result.Code);
        Assert.Contains("-class App { }", result.Out, StringComparison.Ordinal);
        Assert.Contains("+class App { int x; }", result.Out, StringComparison.Ordinal);
        Assert.Equal("class App { }\n", File.ReadAllText(Path.Join(_project, "src", "app.cs")));
    }

    [Fact]
    public void Read_file_prints_the_content()
    {
        var result = Run(["tool", "run", "read_file", "--args", """{"path": "src/app.cs"}"""]);
        Assert.Equal(0, result.Code);
        Assert.StartsWith("class App { }\n", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_command_runs_an_allowed_git_command()
    {
        var init = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("git", ["init", "-q", _project]) { RedirectStandardOutput = true })!;
        init.WaitForExit();
        var result = Run(["tool", "run", "run_command", "--args", """{"argv": ["git", "status", "--porcelain"]}""", "--yes", "--json"]);
        Assert.Equal(0, result.Code);
        var outcome = JsonNode.Parse(result.Out)!;
        Assert.Equal("succeeded", outcome["status"]!.GetValue<string>());
        Assert.Equal(0, outcome["exit_code"]!.GetValue<int>());
        Assert.Contains("?? src/", outcome["output"]!["stdout"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public void Retrieve_memory_searches_imported_notes()
    {
        var notes = Path.Join(_project, "notes");
        Directory.CreateDirectory(notes);
        File.WriteAllText(Path.Join(notes, "deploy.md"), "# Deployment\n\nWe deploy the billing service with blue-green switching on Fridays.\n");
        Assert.Equal(0, Run(["import", notes]).Code);
        var result = Run(["tool", "run", "retrieve_memory", "--args", """{"query": "billing deployment"}""", "--json"]);
        Assert.Equal(0, result.Code);
        var hits = JsonNode.Parse(result.Out)!["output"]!["hits"]!.AsArray();
        Assert.Contains("blue-green", hits[0]!["text"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public void Malformed_allowlist_is_reported_with_line_and_column()
    {
        File.WriteAllText(Path.Join(Home, "allowlist.yaml"), "write:\n  include: [\"src/**\"]\n  exlude: []\n");
        var result = Run(["tool", "list"]);
        Assert.Equal(1, result.Code);
        Assert.Contains("allowlist.yaml:3:3: unknown key 'exlude' in write", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_tool_is_an_error()
    {
        var result = Run(["tool", "run", "delete_everything", "--yes"]);
        Assert.Equal(1, result.Code);
        Assert.Contains("There is no tool 'delete_everything'", result.Error, StringComparison.Ordinal);
    }
}
