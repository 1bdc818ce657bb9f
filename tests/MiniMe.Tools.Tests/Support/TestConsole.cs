using Spectre.Console;

namespace MiniMe.Tools.Tests.Support;

/// <summary>A Spectre console writing plain text to a string.</summary>
public sealed class CapturedConsole
{
    public CapturedConsole()
    {
        Console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Writer),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        Console.Profile.Width = 200;
    }

    public StringWriter Writer { get; } = new();
    public IAnsiConsole Console { get; }
    public string Text => Writer.ToString();
}
