using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using MiniMe.Hosting.Users;
using MiniMe.Packs;
using MiniMe.Server.Auth;
using MiniMe.Server.Packs;

namespace MiniMe.Server.Endpoints;

/// <summary>POST /v1/packs/{name}/activate: the version to make active (default: the newest installed).</summary>
public sealed record PackVersionBody(string? Version);

/// <summary>
/// /v1/packs: the caller's knowledge packs, the same store as `minime packs` (the owner's are the
/// workspace's packs/). Uploads are single-file packs (documents inline), validated like a file.
/// </summary>
internal static class PackEndpoints
{
    public static void Map(RouteGroupBuilder v1)
    {
        var packs = v1.MapGroup("/packs").WithTags("Packs");
        packs.MapGet("/", (ClaimsPrincipal user, UserSpaces spaces, PackService service) =>
                TypedResults.Ok(Store(user, spaces, service).List()))
            .WithSummary("Your installed packs: active version, versions kept, topics");
        packs.MapGet("/{name}", (string name, string? version, ClaimsPrincipal user, UserSpaces spaces, PackService service) =>
                TypedResults.Ok(Store(user, spaces, service).Show(name, version)))
            .WithSummary("One version of a pack (default: the active one): topics, rules, facts, documents").ProducesProblem(404);
        packs.MapPost("/", async (HttpRequest request, bool? force, bool? activate, ClaimsPrincipal user, UserSpaces spaces, PackService service, CancellationToken cancellationToken) =>
            {
                string yaml;
                using (var reader = new StreamReader(request.Body, Encoding.UTF8))
                    yaml = await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
                if (string.IsNullOrWhiteSpace(yaml))
                    throw new InvalidInputException("The body is empty; send a single-file pack (its YAML: name, version, topics, rules, facts, inline documents).");
                var loaded = PackParser.ParseSingleFile(yaml, "pack");
                var result = Store(user, spaces, service).Import(loaded, force ?? false, activate ?? true);
                return TypedResults.Created($"/v1/packs/{result.Name}?version={result.Version}", result);
            })
            .Accepts<string>("application/yaml", "text/yaml", "text/plain")
            .WithSummary("Install a pack version from a single-file pack YAML (?force=true replaces other content under the same version)")
            .ProducesProblem(400).ProducesProblem(409).ProducesProblem(413);
        packs.MapPost("/{name}/activate", (string name, PackVersionBody? body, ClaimsPrincipal user, UserSpaces spaces, PackService service) =>
                TypedResults.Ok(Store(user, spaces, service).Activate(name, body?.Version)))
            .WithSummary("Make a version active (default: the newest)").ProducesProblem(404);
        packs.MapPost("/{name}/deactivate", (string name, ClaimsPrincipal user, UserSpaces spaces, PackService service) =>
                TypedResults.Ok(Store(user, spaces, service).Deactivate(name)))
            .WithSummary("Stop the pack joining runs; its versions are kept").ProducesProblem(404);
        packs.MapPost("/{name}/rollback", (string name, ClaimsPrincipal user, UserSpaces spaces, PackService service) =>
                TypedResults.Ok(Store(user, spaces, service).Rollback(name)))
            .WithSummary("Make the previously active version active again").ProducesProblem(404).ProducesProblem(409);
        packs.MapDelete("/{name}", (string name, string? version, ClaimsPrincipal user, UserSpaces spaces, PackService service) =>
                TypedResults.Ok(Store(user, spaces, service).Remove(name, version)))
            .WithSummary("Delete a pack, or one version of it (?version=V)").ProducesProblem(404);
    }

    private static PackStore Store(ClaimsPrincipal user, UserSpaces spaces, PackService service) => service.For(spaces.Get(user.UserId()));
}
