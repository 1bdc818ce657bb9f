using System.CommandLine;
using System.Text.Json.Nodes;
using MiniMe.Cli.Hosting;
using MiniMe.Server.Mcp;
using MiniMe.Tools.Trust;
using Spectre.Console;

namespace MiniMe.Cli.Commands;

/// <summary>
/// `minime mcp servers` (alias `list`): the MCP servers of mcp.servers, reached now, with their state (connected,
/// unreachable, untrusted: a workspace that is not trusted starts none) and the tools each offers the agents.
/// </summary>
internal sealed class McpServersCommand : MiniMeCommand
{
    private readonly Option<bool> _json = new("--json") { Description = "Print a JSON array: name, transport, target, read_only, state, error, tools" };

    public McpServersCommand(CliContext context)
        : base("servers", "List the MCP servers of mcp.servers whose tools MiniMe's agents may use: reachable or not, and their tools", context)
    {
        Aliases.Add("list");
        Options.Add(_json);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        await using var engine = OpenEngine(parse);
        var pool = engine.Service<McpClientPool>();
        var trust = WorkspaceTrust.Check(Context.Trust, engine.Workspace, engine.Options);
        var statuses = await pool.StatusAsync(trust, cancellationToken);
        if (parse.GetValue(_json))
        {
            Out.Profile.Out.Writer.WriteLine(ToJson(statuses).ToJsonString(MiniMe.Tracing.JsonFormats.Indented));
            return ExitCodes.Ok;
        }
        if (statuses.Count == 0)
        {
            Out.MarkupLine("No MCP servers configured: add them under [bold]mcp.servers[/] in config.yaml (docs/mcp.md).");
            return ExitCodes.Ok;
        }
        var table = new Table().AddColumns("server", "transport", "state", "mode", "tools");
        foreach (var s in statuses)
            table.AddRow(Markup.Escape(s.Name), Markup.Escape($"{s.Transport}: {s.Target}"),
                Markup.Escape(s.Error is null ? s.State : $"{s.State}: {s.Error}"),
                s.ReadOnly ? "read-only" : "proposals",
                Markup.Escape(s.Tools.Count == 0 ? "-" : string.Join(", ", s.Tools.Select(t => t.Name))));
        Out.Write(table);
        if (statuses.Any(s => s.State == "untrusted"))
            Out.MarkupLine("[yellow]This workspace is not trusted: no MCP server was started.[/] Review it with [bold]minime trust[/].");
        return ExitCodes.Ok;
    }

    internal static JsonArray ToJson(IReadOnlyList<McpServerStatus> statuses) =>
        new([.. statuses.Select(s => (JsonNode?)new JsonObject
        {
            ["name"] = s.Name,
            ["transport"] = s.Transport,
            ["target"] = s.Target,
            ["read_only"] = s.ReadOnly,
            ["state"] = s.State,
            ["error"] = s.Error,
            ["tools"] = new JsonArray([.. s.Tools.Select(t => (JsonNode?)new JsonObject
            {
                ["name"] = t.Name,
                ["tool"] = t.Tool,
                ["description"] = t.Description,
                ["read_only"] = t.ReadOnly,
            })]),
        })]);
}
