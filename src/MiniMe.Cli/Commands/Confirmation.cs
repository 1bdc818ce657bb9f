using MiniMe.Cli.Hosting;
using Spectre.Console;

namespace MiniMe.Cli.Commands;

/// <summary>Asks before destructive or state-replacing actions; scripts pass --yes.</summary>
internal static class Confirmation
{
    /// <returns>True to go ahead. Without a terminal and without --yes it refuses with a usage error.</returns>
    public static bool Ask(CliContext context, bool yes, string question, string what)
    {
        if (yes) return true;
        if (!context.Interactive)
            throw new InvalidInputException($"{what} needs confirmation: run it in a terminal, or pass --yes.");
        return context.Console.Confirm(question, defaultValue: false);
    }
}
