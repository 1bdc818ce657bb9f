using MiniMe.Workflows;

namespace MiniMe.Agents.Tests.Workflows;

public sealed class WorkflowValidationTests
{
    private static IReadOnlyList<string> Problems(string yaml)
    {
        var e = Assert.Throws<WorkflowValidationException>(() => WorkflowParser.Load(yaml, "w.workflow.yaml"));
        return e.Problems;
    }

    private const string Valid = """
        name: ok
        inputs:
          strict: { type: boolean, default: false }
        nodes:
          - id: tests
            type: tool
            tool: run_command
            arguments:
              argv: ["dotnet", "test"]
          - id: failing
            type: decision
            condition: nodes.tests.output.exit_code != 0 && !inputs.strict
          - id: fix
            type: agent
            agent: builder
            prompt: "Fix these failures: {{nodes.tests.output.stdout}}"
          - id: done
            type: human
            message: "Tests pass ({{nodes.tests.output.summary}}). Finish?"
        edges:
          - { from: tests, to: failing }
          - { from: failing, to: fix, kind: conditional, when: "nodes.tests.output.exit_code != 0" }
          - { from: failing, to: done }
          - { from: fix, to: tests, max_iterations: 3 }
        entry: tests
        exit: done
        """;

    [Fact]
    public void A_manifest_with_a_decision_and_a_bounded_loop_loads_with_its_positions()
    {
        var w = WorkflowParser.Load(Valid, "w.workflow.yaml");

        Assert.Equal(("ok", "tests", "done"), (w.Name, w.Entry, w.Exit));
        Assert.Equal(["tests", "failing", "fix", "done"], w.Nodes.Select(n => n.Id));
        Assert.Equal(new SourceMark(5, 5), w.Node("tests")!.Mark);
        Assert.Equal(3, w.Edges.Single(e => e.IsLoop).MaxIterations);
        Assert.Equal(["dotnet", "test"], w.Node("tests")!.Arguments!["argv"]!.AsArray().Select(a => a!.GetValue<string>()));
    }

    [Fact]
    public void A_node_model_is_checked_against_the_configured_models_when_they_are_known()
    {
        var yaml = Valid.Replace("    agent: builder\n", "    agent: builder\n    model: bgi\n", StringComparison.Ordinal);
        Assert.Contains("model: bgi", yaml, StringComparison.Ordinal);

        Assert.Equal("bgi", WorkflowParser.Load(yaml, "w.workflow.yaml").Node("fix")!.Model);   // no configuration at hand: not checked
        var typo = Assert.Throws<WorkflowValidationException>(() => WorkflowParser.Load(yaml, "w.workflow.yaml", ["big", "small"])).Problems;
        Assert.Equal(["w.workflow.yaml:16:12: node 'fix': unknown model 'bgi'; did you mean 'big'?"], typo);
        var none = Assert.Throws<WorkflowValidationException>(() => WorkflowParser.Load(yaml, "w.workflow.yaml", [])).Problems;
        Assert.Contains("no model is configured", Assert.Single(none), StringComparison.Ordinal);
        Assert.Equal("big", WorkflowParser.Load(yaml.Replace("model: bgi", "model: big", StringComparison.Ordinal), "w.workflow.yaml", ["big", "small"]).Node("fix")!.Model);
    }

    [Fact]
    public void Unknown_fields_and_node_types_are_reported_with_line_column_and_the_closest_name()
    {
        var problems = Problems("""
            name: typo
            nodez: []
            nodes:
              - id: a
                type: agnet
                agent: builder
              - id: b
                type: agent
                agnet: builder
            edges:
              - { from: a, to: b, knd: normal }
            entry: a
            exit: b
            """);

        Assert.Contains("w.workflow.yaml:2:1: unknown field 'nodez' in the workflow; did you mean 'nodes'?", problems);
        Assert.Contains("w.workflow.yaml:5:11: node 'a': unknown node type 'agnet'; did you mean 'agent'?", problems);
        Assert.Contains("w.workflow.yaml:9:5: unknown field 'agnet' in node 'b' (agent); did you mean 'agent'?", problems);
        Assert.Contains("w.workflow.yaml:7:5: node 'b' needs 'agent'", problems);
        Assert.Contains("w.workflow.yaml:11:23: unknown field 'knd' in an edge; did you mean 'kind'?", problems);
    }

    [Fact]
    public void Graph_problems_are_all_reported_at_once()
    {
        var problems = Problems("""
            name: graph
            nodes:
              - { id: a, type: agent, agent: architect }
              - { id: b, type: agent, agent: builder }
              - { id: c, type: agent, agent: critic }
              - { id: m, type: merge }
              - { id: lost, type: agent, agent: integrator }
            edges:
              - { from: a, to: b }
              - { from: b, to: c }
              - { from: c, to: b }
              - { from: a, to: bb }
              - { from: b, to: c, kind: conditional, when: "true" }
              - { from: c, to: m }
            entry: a
            exit: x
            """);

        Assert.Contains("w.workflow.yaml:12:20: edge to 'bb': no such node (nodes: a, b, c, m, lost)", problems);
        Assert.Contains("w.workflow.yaml:16:7: exit 'x' is not a node (nodes: a, b, c, m, lost)", problems);
        Assert.Contains("w.workflow.yaml:13:5: conditional edge b → c: only decision nodes have conditional edges ('b' is a agent node); add a decision node", problems);
        Assert.Contains("w.workflow.yaml:6:5: merge node 'm' has 1 inbound edge; a merge joins at least two", problems);
        Assert.Contains(problems, p => p.StartsWith("w.workflow.yaml:11:5: the edges b → c → b form a cycle without a bound", StringComparison.Ordinal));
        Assert.Contains("w.workflow.yaml:7:5: node 'lost' is unreachable from entry 'a'", problems);
    }

    [Fact]
    public void No_path_from_entry_to_exit_and_a_bound_on_an_edge_that_closes_no_cycle_are_errors()
    {
        var problems = Problems("""
            name: apart
            nodes:
              - { id: a, type: agent, agent: architect }
              - { id: b, type: agent, agent: builder }
            edges:
              - { from: a, to: a2, kind: normal }
              - { from: b, to: a, max_iterations: 2 }
            entry: a
            exit: b
            """);

        Assert.Contains("w.workflow.yaml:9:7: no path leads from entry 'a' to exit 'b'", problems);
        Assert.Contains("w.workflow.yaml:7:5: edge b → a has max_iterations but closes no cycle; remove it or point the edge back to an earlier node", problems);
        Assert.Contains("w.workflow.yaml:4:5: node 'b' is unreachable from entry 'a'", problems);
    }

    [Fact]
    public void Max_iterations_takes_a_whole_number_or_auto_and_auto_bounds_a_loop()
    {
        const string Loop = """
            name: loop
            nodes:
              - { id: a, type: agent, agent: builder }
              - { id: b, type: agent, agent: critic }
            edges:
              - { from: a, to: b }
              - { from: b, to: a, max_iterations: BOUND }
            entry: a
            exit: b
            """;

        Assert.Contains("w.workflow.yaml:7:39: an edge: 'max_iterations' must be a whole number of at least 1, or auto", Problems(Loop.Replace("BOUND", "lots", StringComparison.Ordinal)));
        var auto = Assert.Single(WorkflowParser.Load(Loop.Replace("BOUND", "auto", StringComparison.Ordinal), "w.workflow.yaml").Edges, e => e.IsLoop);
        Assert.True(auto.RoundBound);
        Assert.Equal((2, 0), (auto.Bound(3), auto.Bound(1)));
    }

    [Fact]
    public void Template_and_condition_references_are_checked_against_inputs_upstream_nodes_and_output_schemas()
    {
        var problems = Problems("""
            name: refs
            inputs:
              limit: { type: number }
            nodes:
              - id: tests
                type: tool
                tool: run_command
                arguments:
                  argv: ["run", "{{nodes.tests.output.exit_code}}", "{{inputs.limt}}"]
              - id: check
                type: decision
                condition: nodes.tests.output.exit_code == "0" || nodes.tests.output.stdot contains "x"
              - id: fix
                type: agent
                agent: builder
                prompt: "{{nodes.later.output.summary}} {{nodes.ghost.output}} {{nodes.tests.output.stdout}}"
              - id: later
                type: agent
                agent: critic
            edges:
              - { from: tests, to: check }
              - { from: check, to: fix, kind: conditional, when: "nodes.check.output.result &&" }
              - { from: fix, to: later }
            entry: tests
            exit: later
            """);

        Assert.Contains("w.workflow.yaml:9:21: node 'tests': 'nodes.tests.output.exit_code' reads node 'tests', which does not run before 'tests' (no edges lead from it here)", problems);
        Assert.Contains("w.workflow.yaml:9:57: node 'tests': 'inputs.limt' names an unknown input; did you mean 'inputs.limit'?", problems);
        Assert.Contains("w.workflow.yaml:12:16: node 'check': type mismatch: nodes.tests.output.exit_code (number) == a string compares a number with a string", problems);
        Assert.Contains("w.workflow.yaml:12:16: node 'check': 'nodes.tests.output.stdot': the output of 'tests' (tool run_command) has no field 'stdot'; did you mean 'stdout'?", problems);
        Assert.Contains("w.workflow.yaml:16:13: node 'fix': 'nodes.later.output.summary' reads node 'later', which does not run before 'fix' (no edges lead from it here)", problems);
        Assert.Contains("w.workflow.yaml:16:13: node 'fix': 'nodes.ghost.output' names an unknown node", problems);
        Assert.Contains("w.workflow.yaml:22:54: node 'check': bad condition at column 29 of 'nodes.check.output.result &&': expected a value (a path, a number, a string, true, false or null), found the end", problems);
        Assert.DoesNotContain(problems, p => p.Contains("nodes.tests.output.stdout", StringComparison.Ordinal));
    }

    [Fact]
    public void A_tool_argument_that_needs_a_string_refuses_a_number_reference()
    {
        var problems = Problems("""
            name: types
            inputs:
              count: { type: number, default: 3 }
            nodes:
              - id: run
                type: tool
                tool: run_command
                arguments:
                  argv: ["echo", "{{inputs.count}}"]
            entry: run
            exit: run
            """);

        Assert.Equal(["w.workflow.yaml:9:22: node 'run': type mismatch: 'inputs.count' is a number but the argument needs a string"], problems);
    }

    [Fact]
    public void A_yaml_syntax_error_and_a_manifest_over_the_size_limit_are_one_line_each()
    {
        var syntax = Problems("name: x\nnodes: [\n");
        Assert.Single(syntax);
        Assert.StartsWith("w.workflow.yaml:3:1: ", syntax[0], StringComparison.Ordinal);

        var big = Problems("name: x\n# " + new string('a', MiniMe.Configuration.SafeYamlLoader.MaxBytes) + "\n");
        Assert.Single(big);
        Assert.Contains("w.workflow.yaml", big[0], StringComparison.Ordinal);
    }

    [Fact]
    public void The_builtin_team_and_the_shipped_examples_validate()
    {
        Assert.Contains("team", WorkflowCatalog.BuiltinNames);
        var team = new WorkflowCatalog(null).Load("builtin:team", out _);
        Assert.Equal(["architect", "builder", "critic", "review", "integrator"], team.Nodes.Select(n => n.Id));

        var examples = Path.Combine(RepositoryRoot(), "workflows", "examples");
        var files = Directory.GetFiles(examples, "*.workflow.yaml");
        Assert.True(files.Length >= 2, "two shipped examples");
        foreach (var file in files) WorkflowParser.LoadFile(file);
    }

    internal static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "MiniMe.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }
}
