using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using MiniMe.Evidence;
using MiniMe.Hosting.Users;
using MiniMe.Server.Auth;

namespace MiniMe.Server.Endpoints;

/// <summary>GET /v1/evidence/{kind}/{id}: the caller's evidence graph around one node, the tree `minime why` prints (docs/evidence.md).</summary>
internal static class EvidenceEndpoints
{
    public static void Map(RouteGroupBuilder v1)
    {
        v1.MapGet("/evidence/{kind}/{id}", async (string kind, string id, int? depth, ClaimsPrincipal user, UserSpaces spaces, CancellationToken cancellationToken) =>
            {
                var node = EvidenceNode.Parse($"{kind}:{id}");
                var tree = await spaces.Get(user.UserId()).Evidence().WhyAsync(node, depth ?? EvidenceGraph.DefaultDepth, cancellationToken).ConfigureAwait(false);
                return TypedResults.Ok(EvidenceJson.Tree(tree));
            })
            .WithTags("Evidence")
            .WithSummary("Where a fact, chunk, document or run came from and where it was used (depth 1-10, default 3)")
            .ProducesProblem(400).ProducesProblem(404);
    }
}
