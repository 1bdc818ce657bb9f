using System.Reflection;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using MiniMe.Configuration;
using MiniMe.Server.Endpoints;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;

namespace MiniMe.Server.Mcp;

/// <summary>Who the MCP tools act for: the workspace owner (`minime mcp`, stdio) or the API key's user (/mcp on `minime serve`).</summary>
public enum McpFace
{
    Stdio,
    Http,
}

/// <summary>
/// MiniMe as an MCP server, registered once here for both faces: the tools (<see cref="MemoryTools"/>,
/// <see cref="WriteTools"/> when mcp.allowWrites is on) and the resources (<see cref="MemoryResources"/>)
/// over the services of the one composition root. `minime mcp` adds the stdio transport, `minime serve`
/// the Streamable HTTP one at /mcp (behind the API keys, like /v1).
/// </summary>
public static class McpRegistration
{
    public const string Path = "/mcp";

    public const string WritesOff = "writes are off: set mcp.allowWrites: true in config.yaml to offer memory_import_text and remember";

    /// <summary>
    /// Tool results and resources in the API's names (snake_case, enums as strings); nulls are kept, so
    /// structured results match the output schema the SDK derives (a nullable member is still required).
    /// </summary>
    public static JsonSerializerOptions Json { get; } = McpJson();

    private static JsonSerializerOptions McpJson()
    {
        var json = ApiJson.Apply(new JsonSerializerOptions(McpJsonUtilities.DefaultOptions));
        json.DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.Never;
        return json;
    }

    /// <summary>The MCP server's services; the caller adds a transport.</summary>
    public static IMcpServerBuilder AddMiniMeMcp(this IServiceCollection services, McpOptions options, McpFace face)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        services.TryAddSingleton(options);
        services.TryAddSingleton(new McpCallerFace(face));
        services.TryAddSingleton<McpCaller>();
        var mcp = services.AddMcpServer(o =>
        {
            o.ServerInfo = new Implementation { Name = "minime", Title = "MiniMe", Version = Version };
            o.ServerInstructions = Instructions(options.AllowWrites);
        });
        mcp.WithTools<MemoryTools>(Json).WithResources<MemoryResources>();
        if (options.AllowWrites) mcp.WithTools<WriteTools>(Json);
        return mcp;
    }

    /// <summary>`minime serve`: the server's MCP over Streamable HTTP, stateless (every request carries its API key).</summary>
    public static void AddHttp(IServiceCollection services, Workspace workspace)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        services.AddMiniMeMcp(McpOptions.Load(workspace), McpFace.Http).WithHttpTransport(o => o.Stateless = true);
    }

    /// <summary>
    /// /mcp: under the fallback policy (an API key, as /v1), rate-limited per key, bodies up to
    /// server.maxImportBytes. JSON-RPC, not REST: left out of the OpenAPI document (docs/server.md describes it).
    /// </summary>
    public static void Map(IEndpointRouteBuilder app, ServerOptions server)
    {
        ArgumentNullException.ThrowIfNull(server);
        app.MapMcp(Path).WithBodyLimit(server.MaxImportBytes).ExcludeFromDescription();
    }

    private static string Version =>
        typeof(McpRegistration).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0";

    private static string Instructions(bool writes) =>
        "MiniMe is the user's personal memory: imported documents (memory_search), facts about the user (facts_list, minime://facts), " +
        "goals (goals_list) and the traces of past runs (runs_list, trace_get, minime://runs/{id}). " +
        (writes
            ? "Writes are on: memory_import_text stores a note, remember stores a fact."
            : "It is read-only here: nothing an MCP client does changes the memory (" + WritesOff + ").");
}

/// <summary>The face the MCP server was registered for (a type of its own, so DI never confuses it with another enum).</summary>
public sealed record McpCallerFace(McpFace Face);
