using System.CommandLine;
using MiniMe.Cli.Hosting;
using MiniMe.Server.Signals;
using Spectre.Console;

namespace MiniMe.Cli.Commands;

/// <summary>
/// `minime badge --out FILE`: the owner's signal as an SVG badge (<see cref="SignalBadge"/>), the same
/// image GET /v1/badge.svg serves. The same signal gives the same bytes.
/// </summary>
internal sealed class BadgeCommand : MiniMeCommand
{
    private readonly Option<string> _out = new("--out", "-o") { Description = "The SVG file to write (replaced if it exists)", Required = true };
    private readonly Option<string?> _style = new("--style") { Description = "card (default: labelled rows) or flat (one line)" };

    public BadgeCommand(CliContext context) : base("badge", "Render your signal as an SVG badge", context)
    {
        Options.Add(_out);
        Options.Add(_style);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var style = SignalBadge.ParseStyle(parse.GetValue(_style));
        var target = OutputPath(parse.GetValue(_out));
        await using var engine = OpenEngine(parse);
        var signal = await engine.Service<SignalService>().ComputeAsync(engine.Owner.UserId, cancellationToken);
        var svg = SignalBadge.Render(signal, style);
        await File.WriteAllBytesAsync(target, svg, cancellationToken);
        Out.WriteLine($"Wrote {target} ({svg.Length} bytes).");
        return ExitCodes.Ok;
    }

    /// <summary>The full path to write, refused in one line when its folder is missing or it is a folder.</summary>
    private static string OutputPath(string? path)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new InvalidInputException("--out is empty; give the SVG file to write, e.g. --out badge.svg.");
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new InvalidInputException($"--out {full} is a folder; give a file name, e.g. --out {Path.Combine(full, "badge.svg")}.");
        var folder = Path.GetDirectoryName(full);
        if (folder is not null && !Directory.Exists(folder))
            throw new InvalidInputException($"The folder {folder} for --out does not exist; create it or write the badge elsewhere.");
        return full;
    }
}
