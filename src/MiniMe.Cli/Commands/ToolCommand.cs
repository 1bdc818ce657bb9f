using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using MiniMe.Actions;
using MiniMe.Cli.Approval;
using MiniMe.Cli.Hosting;
using MiniMe.Tools;
using MiniMe.Tools.Approval;
using MiniMe.Tracing;
using Spectre.Console;

namespace MiniMe.Cli.Commands;

/// <summary>`minime tool list` and `minime tool run`: the tools agents propose, usable directly through the same allowlist, approval and audit path.</summary>
internal sealed class ToolCommand : Command
{
    public ToolCommand(CliContext context) : base("tool", "List the tools, or run one through the allowlist, approval gate and audit")
    {
        Subcommands.Add(new ListCommand(context));
        Subcommands.Add(new RunCommand(context));
    }

    private sealed class ListCommand : MiniMeCommand
    {
        private readonly Option<bool> _json = new("--json") { Description = "Print the tools with their JSON schemas" };

        public ListCommand(CliContext context) : base("list", "List the tools: name, category, whether they need approval, description", context)
        {
            Options.Add(_json);
        }

        protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
        {
            await using var engine = OpenEngine(parse);
            var host = ActionApproval.CreateHost(Context, engine);
            var tools = host.Registry.Descriptors;
            if (parse.GetValue(_json))
            {
                var array = new JsonArray([.. tools.Select(t => (JsonNode?)new JsonObject
                {
                    ["name"] = t.Name,
                    ["category"] = t.Category.ToString().ToLowerInvariant(),
                    ["needsApproval"] = t.NeedsApproval,
                    ["description"] = t.Description,
                    ["schema"] = t.Schema.ToJson(),
                })]);
                Out.Profile.Out.Writer.WriteLine(array.ToJsonString(JsonFormats.Indented));
                return ExitCodes.Ok;
            }
            var table = new Table().Border(TableBorder.Simple).AddColumn("name").AddColumn("category").AddColumn("approval").AddColumn("description");
            foreach (var t in tools)
                table.AddRow(Markup.Escape(t.Name), t.Category.ToString().ToLowerInvariant(), t.NeedsApproval ? "[yellow]required[/]" : "[grey]no[/]", Markup.Escape(t.Description));
            Out.Write(table);
            Out.MarkupLine($"[grey]root: {Markup.Escape(host.Root)} · sandbox: {Markup.Escape(host.Sandbox.Description)}[/]");
            if (host.Runner.Trust.Refusal is { } untrusted)
                Out.MarkupLine($"[yellow]Every tool is refused here[/]: {Markup.Escape(untrusted)}.");
            return ExitCodes.Ok;
        }
    }

    private sealed class RunCommand : MiniMeCommand
    {
        private readonly Argument<string> _name = new("NAME") { Description = "The tool, e.g. read_file (see `minime tool list`)" };
        private readonly Option<string> _args = new("--args") { Description = "The tool's arguments as a JSON object", DefaultValueFactory = _ => "{}" };
        private readonly Option<bool> _yes = ActionApproval.YesOption();
        private readonly Option<bool> _dryRun = new("--dry-run") { Description = "Check and show the action; do not execute it" };
        private readonly Option<bool> _json = new("--json") { Description = "Print the outcome as JSON" };

        public RunCommand(CliContext context) : base("run", "Run one tool through the allowlist, the approval gate and the audit trace", context)
        {
            Arguments.Add(_name);
            Options.Add(_args);
            Options.Add(_yes);
            Options.Add(_dryRun);
            Options.Add(_json);
        }

        protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
        {
            var arguments = ParseArguments(parse.GetValue(_args) ?? "{}");
            var name = parse.GetValue(_name)!.Trim();
            var json = parse.GetValue(_json);
            await using var engine = OpenEngine(parse);
            var host = ActionApproval.CreateHost(Context, engine);
            host.Registry.Get(name);
            var runId = RunId.New(DateTimeOffset.UtcNow);
            var proposal = new ActionProposal("p1", name, arguments, "requested with `minime tool run`", ProposedBy: "user");
            engine.Traces.Append(runId, TraceEventTypes.TaskStart, new JsonObject { ["task"] = $"tool run {name}", ["source"] = "minime tool run" });
            engine.Traces.Append(runId, TraceEventTypes.ActionProposal, new JsonObject
            {
                ["proposal_id"] = proposal.Id,
                ["tool"] = name,
                ["args"] = TraceArguments.Prepare(arguments),
                ["rationale"] = proposal.Rationale,
                ["proposed_by"] = proposal.ProposedBy,
            });
            var mode = ActionApproval.Mode(parse.GetValue(_yes), parse.GetValue(_dryRun), analysisOnly: false);
            var processor = ActionApproval.CreateProcessor(Context, host, showPreviews: !json);
            var outcome = (await processor.ProcessAsync([proposal], mode, runId, cancellationToken))[0];
            engine.Traces.Append(runId, TraceEventTypes.RunEnd, new JsonObject { ["status"] = outcome.Status.ToString().ToLowerInvariant() });
            if (json) PrintJson(runId, outcome);
            else Render(runId, outcome, engine.Options.Tools.TraceOutputBytes);
            return outcome.Status switch
            {
                OutcomeStatus.Succeeded or OutcomeStatus.NotRun => ExitCodes.Ok,
                OutcomeStatus.Invalid => ExitCodes.Usage,
                _ => ExitCodes.Error,
            };
        }

        private static JsonObject ParseArguments(string text)
        {
            try
            {
                return JsonNode.Parse(text) as JsonObject
                    ?? throw new InvalidInputException("--args must be a JSON object, e.g. '{\"path\": \"README.md\"}'.");
            }
            catch (JsonException e)
            {
                var where = e.LineNumber is { } line ? $" at line {line + 1}, position {e.BytePositionInLine + 1}" : "";
                throw new InvalidInputException($"--args is not valid JSON{where}; pass an object such as '{{\"path\": \"README.md\"}}'.", e);
            }
        }

        /// <summary>
        /// What the tool returned (a file's content, search matches, memory hits), then the outcome line; for
        /// run_command the outcome line is followed by the exit code, duration and the end of both streams.
        /// </summary>
        private void Render(string runId, ActionOutcome outcome, int traceOutputBytes)
        {
            var writer = Out.Profile.Out.Writer;
            if (outcome.Execution?.Output is { } output)
            {
                switch (outcome.Proposal.Tool)
                {
                    case "read_file":
                        writer.Write(output["content"]?.GetValue<string>() ?? "");
                        break;
                    case "search_repo":
                        foreach (var m in output["matches"]?.AsArray() ?? [])
                            writer.WriteLine($"{m!["path"]}:{m["line"]}: {m["text"]}");
                        break;
                    case "retrieve_memory":
                        foreach (var h in output["hits"]?.AsArray() ?? [])
                            writer.WriteLine($"#{h!["id"]} {h["source"]} ({h["score"]}): {Snippet(h["text"]?.GetValue<string>() ?? "")}");
                        break;
                }
            }
            if (outcome.Status is OutcomeStatus.Succeeded or OutcomeStatus.NotRun)
                ActionRenderer.RenderOutcome(Out, outcome, runId, traceOutputBytes);
            else
            {
                Context.Error.WriteLine($"error: {outcome.Message}");
                if (outcome.Command is { } command) CommandOutputRenderer.Render(Out, command, runId, traceOutputBytes);
            }
            var audit = outcome.Execution is { Sandboxed: { } sandboxed } ? $" · {(sandboxed ? "sandboxed" : "not sandboxed")}" : "";
            Out.MarkupLine($"[grey]run {Markup.Escape(runId)}{audit} · minime trace {Markup.Escape(runId)}[/]");
        }

        private void PrintJson(string runId, ActionOutcome outcome)
        {
            var result = new JsonObject
            {
                ["run_id"] = runId,
                ["tool"] = outcome.Proposal.Tool,
                ["status"] = outcome.Status.ToString().ToLowerInvariant(),
                ["message"] = outcome.Message,
                ["exit_code"] = outcome.Execution?.ExitCode,
                ["sandboxed"] = outcome.Execution?.Sandboxed,
                ["files_changed"] = new JsonArray([.. (outcome.Execution?.FilesChanged ?? []).Select(f => (JsonNode?)f)]),
                ["output"] = outcome.Execution?.Output.DeepClone(),
                ["diff"] = outcome.Preview?.Diff,
                ["argv"] = outcome.Preview?.Argv is { } argv ? new JsonArray([.. argv.Select(a => (JsonNode?)a)]) : null,
                ["warnings"] = new JsonArray([.. (outcome.Preview?.Warnings ?? []).Select(w => (JsonNode?)w)]),
                ["command"] = outcome.Command is { } command ? CommandJson(command) : null,
            };
            Out.Profile.Out.Writer.WriteLine(result.ToJsonString(JsonFormats.Indented));
        }

        /// <summary>An executed command's output as the typed <see cref="CommandOutput"/> holds it (secrets masked).</summary>
        private static JsonObject CommandJson(CommandOutput command) => new()
        {
            ["exit_code"] = command.ExitCode,
            ["timed_out"] = command.TimedOut,
            ["duration_ms"] = Math.Round(command.Duration.TotalMilliseconds, 1),
            ["stdout"] = command.Stdout,
            ["stderr"] = command.Stderr,
            ["stdout_truncated"] = command.StdoutTruncated,
            ["stderr_truncated"] = command.StderrTruncated,
            ["stdout_bytes"] = command.StdoutBytes,
            ["stderr_bytes"] = command.StderrBytes,
        };

        private static string Snippet(string text)
        {
            var flat = string.Join(' ', text.Split((char[])['\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            return flat.Length <= 160 ? flat : string.Create(CultureInfo.InvariantCulture, $"{flat[..160]}…");
        }
    }
}
