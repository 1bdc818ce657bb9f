using MiniMe.Cli;
using MiniMe.Cli.Hosting;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace MiniMe.Tests.Support;

/// <summary>
/// An interactive console whose keyboard is a script: prompts (confirmations, selections) read the
/// keys given, in order. Output goes to a string like <see cref="CliRunner"/>.
/// </summary>
public sealed class ScriptedConsole : IAnsiConsole
{
    private readonly IAnsiConsole _inner;
    private readonly ScriptedInput _input;

    public ScriptedConsole(TextWriter output, IEnumerable<ConsoleKeyInfo> keys)
    {
        _inner = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Interactive = InteractionSupport.Yes,
            Ansi = AnsiSupport.Yes,
            ColorSystem = ColorSystemSupport.NoColors,
        });
        _inner.Profile.Width = 200;
        _input = new ScriptedInput(keys);
    }

    public Profile Profile => _inner.Profile;
    public IAnsiConsoleCursor Cursor => _inner.Cursor;
    public IAnsiConsoleInput Input => _input;
    public IExclusivityMode ExclusivityMode => _inner.ExclusivityMode;
    public RenderPipeline Pipeline => _inner.Pipeline;
    public void Clear(bool home) => _inner.Clear(home);
    public void Write(IRenderable renderable) => _inner.Write(renderable);
    public void WriteAnsi(Action<AnsiWriter> action) => _inner.WriteAnsi(action);

    /// <summary>Keys for typing <paramref name="text"/> and pressing Enter.</summary>
    public static IEnumerable<ConsoleKeyInfo> Type(string text) =>
        [.. text.Select(c => new ConsoleKeyInfo(c, ConsoleKey.NoName, false, false, false)), Enter];

    public static ConsoleKeyInfo Enter => new('\r', ConsoleKey.Enter, false, false, false);

    public static ConsoleKeyInfo Down => new('\0', ConsoleKey.DownArrow, false, false, false);

    /// <summary>Runs `minime` in-process on a scripted interactive console.</summary>
    public static async Task<CliResult> RunAsync(IEnumerable<ConsoleKeyInfo> keys, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var console = new ScriptedConsole(output, keys);
        var code = await CliApp.RunAsync(args, new CliContext(console, error, interactive: true, trustFile: CliRunner.TrustFile), CancellationToken.None);
        return new CliResult(code, output.ToString(), error.ToString());
    }

    private sealed class ScriptedInput(IEnumerable<ConsoleKeyInfo> keys) : IAnsiConsoleInput
    {
        private readonly Queue<ConsoleKeyInfo> _keys = new(keys);

        public bool IsKeyAvailable() => _keys.Count > 0;

        public ConsoleKeyInfo? ReadKey(bool intercept) =>
            _keys.Count > 0 ? _keys.Dequeue() : throw new InvalidOperationException("The script has no more keys: the command asked more than the test expected.");

        public Task<ConsoleKeyInfo?> ReadKeyAsync(bool intercept, CancellationToken cancellationToken) => Task.FromResult(ReadKey(intercept));
    }
}
