using System.Text.Json.Nodes;
using MiniMe.Configuration;
using MiniMe.Tools.Commands;
using MiniMe.Tools.Processes;

namespace MiniMe.Tools.BuiltIn;

/// <summary>run_command: an allowlisted program with an argument vector (never a shell line), confined, timed and capped.</summary>
public sealed class RunCommandTool(ToolContext context) : ITool
{
    public ToolDescriptor Descriptor { get; } = new(
        "run_command",
        "Run an allowlisted program as an argument vector (no shell) in the workspace, with a timeout and output caps.",
        ToolCategory.Execute,
        NeedsApproval: true,
        new ToolSchema(
            new ToolParameter("argv", ParameterType.StringArray, "Program then arguments, e.g. [\"dotnet\", \"test\"]", Required: true),
            new ToolParameter("cwd", ParameterType.String, "Working directory relative to the workspace root (default: the root)"),
            new ToolParameter("timeoutSeconds", ParameterType.Integer, "Kill it after this many seconds (at most tools.commandTimeoutSeconds)", Minimum: 1)));

    public Task<PreparedAction> PrepareAsync(ToolArguments arguments, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var plan = context.Commands.Check(arguments.Strings("argv")!, arguments.String("cwd"));
        var limit = context.Options.CommandTimeoutSeconds;
        var seconds = Math.Min(arguments.Integer("timeoutSeconds") ?? limit, limit);
        var sandbox = context.Runner.Sandbox;
        if (plan.RunsCode && !sandbox.IsActive && context.Options.Sandbox != SandboxMode.None)
            throw new ToolRefusedException(
                $"{string.Join(' ', plan.Argv.Take(2))} runs code from this repository, so it runs only inside the sandbox, and there is none here ({sandbox.Description}); "
                + "install bubblewrap, or set tools.sandbox: none in config.yaml to run such commands unconfined.");
        var preview = new ActionPreview(
            PreviewKind.Command,
            $"run {plan.Argv[0]} in {plan.WorkingDirectory.RelativePath} (timeout {seconds} s)",
            Argv: plan.LaunchArgv,
            WorkingDirectory: plan.WorkingDirectory.RelativePath,
            Sandbox: sandbox.IsActive ? sandbox.Description : $"NOT sandboxed ({sandbox.Description})",
            Warnings: plan.Notes);
        return Task.FromResult(new PreparedAction(preview, async ct =>
        {
            IReadOnlyList<string> findings = [];
            var environment = new Dictionary<string, string>(context.CommandEnvironment, StringComparer.Ordinal);
            foreach (var (name, value) in plan.Environment) environment[name] = value;
            var spec = new CommandSpec(plan.Executable, plan.LaunchArguments, plan.WorkingDirectory.FullPath, environment,
                TimeSpan.FromSeconds(seconds), context.Options.MaxOutputBytes);
            var audit = plan.RunsCode ? CodeAudit.Begin(context.Paths, context.IgnoredDirectories) : null;
            CommandResult result;
            try
            {
                result = await context.Runner.RunAsync(spec, ct).ConfigureAwait(false);
            }
            finally
            {
                findings = audit?.Finish(context.QuarantineDirectory) ?? [];
            }
            var truncated = result.Stdout.Truncated || result.Stderr.Truncated;
            var summary = result.TimedOut
                ? $"{plan.Argv[0]} was killed after {seconds} s (timeout), with everything it started"
                : $"{plan.Argv[0]} exited with {result.ExitCode}";
            if (truncated) summary += $"; output capped at {context.Options.MaxOutputBytes} bytes per stream";
            if (findings.Count > 0) summary += $"; {findings.Count} change{(findings.Count == 1 ? "" : "s")} to code files or git repositories undone";
            return new ToolExecution(
                result.ExitCode == 0,
                summary,
                new JsonObject
                {
                    ["argv"] = new JsonArray([.. plan.LaunchArgv.Select(a => (JsonNode?)a)]),
                    ["exitCode"] = result.ExitCode,
                    ["timedOut"] = result.TimedOut,
                    ["stdout"] = result.Stdout.Text,
                    ["stderr"] = result.Stderr.Text,
                    ["stdoutBytes"] = result.Stdout.TotalBytes,
                    ["stderrBytes"] = result.Stderr.TotalBytes,
                    ["outputTruncated"] = truncated,
                    ["strayProcessesKilled"] = result.StrayProcessesKilled,
                    ["sandbox"] = result.SandboxName,
                    ["durationMs"] = Math.Round(result.Duration.TotalMilliseconds, 1),
                    ["undone"] = new JsonArray([.. findings.Select(f => (JsonNode?)f)]),
                },
                ExitCode: result.ExitCode,
                Sandboxed: result.Sandboxed,
                TimedOut: result.TimedOut,
                OutputTruncated: truncated,
                Warnings: findings,
                Command: new CommandOutput(result.ExitCode, result.TimedOut, result.Stdout.Text, result.Stderr.Text,
                    result.Stdout.Truncated, result.Stderr.Truncated, result.Stdout.TotalBytes, result.Stderr.TotalBytes, result.Duration));
        }));
    }
}
