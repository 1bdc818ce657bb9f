using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using MiniMe.Cli.Hosting;
using MiniMe.Tracing;
using Spectre.Console;

namespace MiniMe.Cli.Commands;

internal sealed class TraceCommand : MiniMeCommand
{
    private readonly Argument<string> _runId = new("RUN_ID") { Description = "A run id from `minime runs`" };
    private readonly Option<bool> _json = new("--json") { Description = "Print the raw JSONL events" };

    public TraceCommand(CliContext context) : base("trace", "Pretty-print a run's trace", context)
    {
        Arguments.Add(_runId);
        Options.Add(_json);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        await using var engine = Engine.OpenTraces(parse.GetValue(GlobalOptions.Home));
        var traces = engine.Traces;
        var runId = parse.GetValue(_runId)!.Trim();
        var events = traces.Read(runId);
        if (parse.GetValue(_json))
        {
            foreach (var e in events)
                Out.Profile.Out.Writer.WriteLine(new JsonObject
                {
                    ["timestamp"] = e.Timestamp.ToString("O", CultureInfo.InvariantCulture),
                    ["event_type"] = e.EventType,
                    ["data"] = e.Data.DeepClone(),
                }.ToJsonString(JsonFormats.Line));
            return ExitCodes.Ok;
        }
        Out.Write(new Rule($"[bold]Run {Markup.Escape(runId)}[/] · {events.Count} events").LeftJustified());
        var start = events.Count > 0 ? events[0].Timestamp : default;
        foreach (var e in events)
        {
            var offset = (e.Timestamp - start).TotalMilliseconds;
            Out.MarkupLine($"[grey]+{offset,8:0} ms[/]  [bold yellow]{Markup.Escape(e.EventType)}[/]");
            Out.Write(new Panel(new Text(Summarize(e))).Border(BoxBorder.None).PadLeft(13));
        }
        return ExitCodes.Ok;
    }

    /// <summary>
    /// The event's data as indented "key: value" lines; long arrays are summarized; a command's stdout and
    /// stderr (execution events keep their end, redacted) are printed whole, one "| " line each.
    /// </summary>
    private static string Summarize(TraceEvent e)
    {
        var lines = new List<string>();
        foreach (var (key, value) in e.Data)
        {
            switch (value)
            {
                case JsonValue stream when key is "stdout" or "stderr" && stream.TryGetValue<string>(out var text):
                    if (text.Length == 0) { lines.Add($"{key}: (empty)"); break; }
                    lines.Add($"{key}:");
                    lines.AddRange(text.TrimEnd('\n').Split('\n').Select(l => "  | " + l.TrimEnd('\r')));
                    break;
                case JsonArray array when key is "hits" or "blocks":
                    lines.Add($"{key}: {array.Count}");
                    foreach (var item in array.OfType<JsonObject>())
                        lines.Add("  - " + string.Join(", ", item.Where(p => p.Value is not null).Select(p => $"{p.Key}={Short(p.Value!)}")));
                    break;
                case JsonObject obj:
                    lines.Add($"{key}:");
                    foreach (var (k, v) in obj) lines.Add($"  {k}: {(v is null ? "null" : Short(v))}");
                    break;
                default:
                    lines.Add($"{key}: {(value is null ? "null" : Short(value))}");
                    break;
            }
        }
        return string.Join('\n', lines);
    }

    private static string Short(JsonNode node)
    {
        var text = node is JsonValue v && v.TryGetValue<string>(out var s) ? s : node.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
        return text.Length <= 160 ? text : text[..160] + "…";
    }
}
