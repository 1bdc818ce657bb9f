using MiniMe.Tools.Trust;
using Spectre.Console;

namespace MiniMe.Cli.Hosting;

/// <summary>Where a CLI invocation writes: rendered output, errors, and whether a human is watching.</summary>
/// <param name="trustFile">The trust file (default: the user's, MINIME_TRUST_FILE or ~/.config/minime/trust.json); tests pass a temporary one.</param>
public sealed class CliContext(IAnsiConsole console, TextWriter error, bool interactive, TextReader? input = null, bool? inputInteractive = null, string? trustFile = null)
{
    public IAnsiConsole Console { get; } = console;
    public TextWriter Error { get; } = error;
    /// <summary>True on a terminal: progress bars and prompts are allowed.</summary>
    public bool Interactive { get; } = interactive;
    /// <summary>Where answers to prompts (approval of actions) are read from.</summary>
    public TextReader Input { get; } = input ?? System.Console.In;
    /// <summary>True when someone can answer prompts; without it (and without --yes) no action runs.</summary>
    public bool InputInteractive { get; } = inputInteractive ?? (interactive && !System.Console.IsInputRedirected);
    /// <summary>Which workspaces may run tools (workspace trust); `init` and `trust` write it.</summary>
    public TrustStore Trust { get; } = trustFile is null ? TrustStore.ForUser() : new TrustStore(trustFile);
    /// <summary>Claims on Ctrl+C: while one is held, Ctrl+C stops only that part of the command (an answer in `minime chat`).</summary>
    public Interrupts Interrupts { get; } = new();
}

/// <summary>Exit codes scripts can rely on.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int Error = 1;
    public const int Usage = 2;
    public const int Cancelled = 130;

    /// <summary>
    /// The one mapping from a failure's category to the exit code: 2 when what the user typed or
    /// configured is wrong (arguments, settings in config.yaml / MINIME_ variables), 1 for everything
    /// that went wrong while running. Cancellation (130) is not a category: it is not a failure.
    /// </summary>
    public static int For(ErrorCategory category) =>
#pragma warning disable CS8524 // every named category is listed (a new one is a compile error, CS8509); no unnamed values exist
        category switch
    {
        ErrorCategory.InvalidInput or ErrorCategory.InvalidSettings => Usage,
        ErrorCategory.Internal or ErrorCategory.NotFound or ErrorCategory.Conflict or ErrorCategory.Refused
            or ErrorCategory.Configuration or ErrorCategory.ModelNotConfigured or ErrorCategory.ModelFailed
            or ErrorCategory.Unavailable or ErrorCategory.Damaged or ErrorCategory.BudgetExceeded => Error,
    };
#pragma warning restore CS8524
}
