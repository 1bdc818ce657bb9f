using System.ComponentModel;
using System.Text.Json;
using MiniMe.Server.Endpoints;
using MiniMe.Server.Facts;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace MiniMe.Server.Mcp;

/// <summary>The caller's facts and run traces as MCP resources (JSON), the same data as facts_list and trace_get.</summary>
[McpServerResourceType]
public sealed class MemoryResources(McpCaller caller, IUserFacts facts)
{
    public const string FactsUri = "minime://facts";
    public const string RunUriTemplate = "minime://runs/{id}";

    [McpServerResource(UriTemplate = FactsUri, Name = "facts", Title = "Facts about the user", MimeType = "application/json")]
    [Description("The facts MiniMe knows about the user (active ones, most recently changed first, at most 1000), as JSON.")]
    public Task<TextResourceContents> FactsAsync(RequestContext<ReadResourceRequestParams> request, CancellationToken cancellationToken) =>
        McpCaller.Guard(async () =>
        {
            var list = await facts.ListAsync(caller.Space(request), null, 1000, cancellationToken).ConfigureAwait(false);
            return Json(FactsUri, new McpFactList(list));
        });

    [McpServerResource(UriTemplate = RunUriTemplate, Name = "run", Title = "A run's trace", MimeType = "application/json")]
    [Description("One run's trace (summary and every event, redacted as stored), as JSON; run ids come from runs_list.")]
    public TextResourceContents Run(RequestContext<ReadResourceRequestParams> request, string id) =>
        McpCaller.Guard(() => Json("minime://runs/" + id, RunEndpoints.Detail(caller.Space(request).Traces, id, "runs_list lists yours")));

    private static TextResourceContents Json<T>(string uri, T value) =>
        new() { Uri = uri, MimeType = "application/json", Text = JsonSerializer.Serialize(value, McpRegistration.Json) };
}
