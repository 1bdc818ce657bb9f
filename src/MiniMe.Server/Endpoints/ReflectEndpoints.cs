using System.Security.Claims;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using MiniMe.Server.Auth;
using MiniMe.Server.Reflection;

namespace MiniMe.Server.Endpoints;

/// <summary>POST /v1/reflect: exactly one of run_id, fact_id, text; perspectives a list (or a comma-separated string), default reflect.perspectives.</summary>
public sealed record ReflectBody(string? RunId, long? FactId, string? Text, JsonNode? Perspectives);

/// <summary>POST /v1/reflect, behind the API key like all of /v1: the reflection panel as a run of the key's user.</summary>
internal static class ReflectEndpoints
{
    public static void Map(RouteGroupBuilder v1)
    {
        v1.MapPost("/reflect", async (ReflectBody body, ClaimsPrincipal user, ReflectionService reflection, CancellationToken cancellationToken) =>
            {
                var result = await reflection.ReflectAsync(user.UserId(), new ReflectRequest(body.RunId, body.FactId, body.Text, PerspectivesOf(body.Perspectives)), cancellationToken);
                return TypedResults.Ok(ReflectionService.ToJson(result));
            })
            .WithTags("Reflection")
            .WithSummary("The reflection panel on a run, a fact or a text: each perspective's verdict, the synthesis and the disagreement index")
            .ProducesProblem(400).ProducesProblem(404).ProducesProblem(503);
    }

    private static string? PerspectivesOf(JsonNode? node) => node switch
    {
        null => null,
        JsonArray list => string.Join(',', list.Select(p => p is JsonValue v && v.TryGetValue<string>(out var s) ? s
            : throw new InvalidInputException("perspectives must be a list of names (strings) or a comma-separated string"))),
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => throw new InvalidInputException("perspectives must be a list of names (strings) or a comma-separated string"),
    };
}
