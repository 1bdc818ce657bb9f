using System.CommandLine;

namespace MiniMe.Cli.Commands;

/// <summary>Options every command accepts.</summary>
internal static class GlobalOptions
{
    public static readonly Option<string?> Home = new("--home")
    {
        Description = "Workspace directory (default: $MINIME_HOME, else ./.minime)",
        Recursive = true,
    };

    public static readonly Option<bool> Verbose = new("--verbose", "-v")
    {
        Description = "Show error details",
        Recursive = true,
    };
}
