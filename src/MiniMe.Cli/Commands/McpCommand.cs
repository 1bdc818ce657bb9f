using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MiniMe.Cli.Hosting;
using MiniMe.Server.Mcp;
using ModelContextProtocol.Server;

namespace MiniMe.Cli.Commands;

/// <summary>
/// `minime mcp`: MiniMe's memory for an MCP client (Claude Code, Cursor, ...) that starts it as a child
/// process and speaks MCP over stdin/stdout, as the workspace owner. Stdout carries only the protocol;
/// the one line about what is served goes to stderr. Ends when the client closes stdin (exit 0), or on
/// Ctrl+C / SIGTERM (130).
/// </summary>
internal sealed class McpCommand : MiniMeCommand
{
    public McpCommand(CliContext context)
        : base("mcp", "Serve your memory to an MCP client over stdin/stdout (search, facts, goals, runs; writes only with mcp.allowWrites: true)", context)
    {
        Subcommands.Add(new McpServersCommand(context)); // the client side: mcp.servers
    }

    protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var workspace = CheckedWorkspace(parse);
        var mcp = McpOptions.Load(workspace);
        var verbose = parse.GetValue(GlobalOptions.Verbose);
        await using var engine = Engine.Open(parse.GetValue(GlobalOptions.Home), trust: Context.Trust, extend: services =>
        {
            services.AddMiniMeMcp(mcp, McpFace.Stdio).WithStdioServerTransport();
            // --verbose: the SDK's and the engine's logs, all on stderr (stdout is the protocol's alone).
            if (verbose) services.AddLogging(logs => logs.AddSimpleConsole(o => o.SingleLine = true)
                .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace).SetMinimumLevel(LogLevel.Debug));
        });
        Context.Error.WriteLine($"minime mcp: serving {workspace.Root} to an MCP client on stdin/stdout as {engine.Owner.UserId}; " +
            (mcp.AllowWrites ? "writes are on (memory_import_text, remember)." : McpRegistration.WritesOff + "."));
        var server = engine.Service<McpServer>();
        // The stdin read may not notice a cancellation: stop waiting for it on Ctrl+C / SIGTERM.
        await server.RunAsync(cancellationToken).WaitAsync(cancellationToken);
        return ExitCodes.Ok;
    }
}
