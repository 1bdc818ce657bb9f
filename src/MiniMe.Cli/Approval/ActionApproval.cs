using System.CommandLine;
using MiniMe.Actions;
using MiniMe.Cli.Hosting;
using MiniMe.Configuration;
using MiniMe.Tools;
using MiniMe.Tools.Approval;
using MiniMe.Tools.Trust;

namespace MiniMe.Cli.Approval;

/// <summary>
/// The CLI's side of the approval gate, for `minime ask` and `minime tool run`: the flags, the mode
/// they mean, and one call that shows, decides, executes and audits a run's proposals.
/// </summary>
internal static class ActionApproval
{
    public static Option<bool> YesOption() => new("--yes", "-y") { Description = "Approve proposed actions without asking (the allowlist still applies)" };

    public static Option<bool> AnalysisOnlyOption() => new("--analysis-only") { Description = "Show proposed actions but run no tools at all" };

    public static ApprovalMode Mode(bool yes, bool dryRun, bool analysisOnly) =>
        analysisOnly ? ApprovalMode.AnalysisOnly : dryRun ? ApprovalMode.DryRun : yes ? ApprovalMode.Yes : ApprovalMode.Interactive;

    /// <summary>The workspace's tools (allowlist loaded, sandbox probed, trust checked), auditing into the engine's traces.</summary>
    public static ToolHost CreateHost(CliContext context, Engine engine)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(engine);
        return engine.CreateTools();
    }

    /// <summary>Why every proposed action will be refused in this workspace (it is not trusted), or null.</summary>
    public static string? UntrustedReason(CliContext context, Engine engine)
    {
        ArgumentNullException.ThrowIfNull(engine);
        return UntrustedReason(context, engine.Workspace, engine.Options);
    }

    /// <summary>Why every proposed action will be refused in this workspace (it is not trusted), or null.</summary>
    public static string? UntrustedReason(CliContext context, Workspace workspace, MiniMeOptions options)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(workspace);
        ArgumentNullException.ThrowIfNull(options);
        try
        {
            return WorkspaceTrust.Check(context.Trust, workspace, options.Tools).Refusal;
        }
        catch (ConfigException)
        {
            return null;   // a malformed allowlist.yaml is reported, with its line, when the tools are built
        }
    }

    /// <summary>
    /// A processor that asks the person at the terminal, or, when stdin is not interactive, runs
    /// nothing that needs approval (each such proposal is recorded as rejected by policy).
    /// </summary>
    public static ProposalProcessor CreateProcessor(CliContext context, ToolHost host, bool showPreviews = true)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(host);
        IActionPresenter presenter = showPreviews ? new ConsolePresenter(context.Console) : new SilentPresenter();
        IApprovalGate gate = context.InputInteractive
            ? new ConsoleApprovalGate(context.Console, context.Input, Editor(context))
            : new NonInteractiveGate(presenter);
        return host.CreateProcessor(gate, presenter);
    }

    /// <summary>
    /// Shows, decides, executes and audits <paramref name="proposals"/> for run <paramref name="runId"/>, then prints one
    /// line per outcome, and after each executed command its exit code, duration, stdout and stderr (capped for display).
    /// </summary>
    public static async Task<IReadOnlyList<ActionOutcome>> ProcessAsync(CliContext context, Engine engine, IReadOnlyList<ActionProposal> proposals, ApprovalMode mode, string runId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(proposals);
        if (proposals.Count == 0) return [];
        var host = CreateHost(context, engine);
        var outcomes = await CreateProcessor(context, host).ProcessAsync(proposals, mode, runId, cancellationToken).ConfigureAwait(false);
        foreach (var outcome in outcomes) ActionRenderer.RenderOutcome(context.Console, outcome, runId, engine.Options.Tools.TraceOutputBytes);
        return outcomes;
    }

    private static string? Editor(CliContext context) =>
        !context.Interactive ? null
        : Environment.GetEnvironmentVariable("VISUAL") is { Length: > 0 } visual ? visual
        : Environment.GetEnvironmentVariable("EDITOR") is { Length: > 0 } editor ? editor
        : null;
}
