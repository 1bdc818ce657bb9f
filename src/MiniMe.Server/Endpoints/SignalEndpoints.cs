using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using MiniMe.Server.Auth;
using MiniMe.Server.Problems;
using MiniMe.Server.Signals;

namespace MiniMe.Server.Endpoints;

/// <summary>
/// GET /v1/signal (JSON, behind the API key) and GET /v1/badge.svg (the same signal as an SVG image).
/// The badge needs a key too, unless signal.publishBadge is true: then a request without an
/// Authorization header gets the workspace owner's badge (a key that is sent must still be valid,
/// and a valid one gets its own user's badge).
/// </summary>
internal static class SignalEndpoints
{
    public static void Map(RouteGroupBuilder v1)
    {
        v1.MapGet("/signal", async (ClaimsPrincipal user, SignalService signals, CancellationToken cancellationToken) =>
                TypedResults.Ok(await signals.ComputeAsync(user.UserId(), cancellationToken)))
            .WithTags("Signal").WithSummary("A summary of your memory: top domains, facts per category, goal progress, activity, coherence of principles");
        v1.MapGet("/badge.svg", async (HttpContext http, string? style, SignalService signals, SignalOptions options, CancellationToken cancellationToken) =>
            {
                var badgeStyle = SignalBadge.ParseStyle(style);
                string userId;
                if (http.User.Identity?.IsAuthenticated == true) userId = http.User.UserId();
                else if (options.PublishBadge && string.IsNullOrEmpty(http.Request.Headers.Authorization)) userId = signals.OwnerId;
                else if (!string.IsNullOrEmpty(http.Request.Headers.Authorization)) return Results.Challenge(); // says what is wrong with the key
                else
                {
                    http.Response.Headers.WWWAuthenticate = "Bearer";
                    return ProblemResponses.Result(StatusCodes.Status401Unauthorized, "Unauthorized",
                        "The badge needs an API key: send 'Authorization: Bearer <key>' (`minime keys create NAME`), or publish it with signal.publishBadge: true in config.yaml.");
                }
                var signal = await signals.ComputeAsync(userId, cancellationToken);
                http.Response.Headers.CacheControl = "no-cache";
                return Results.Bytes(SignalBadge.Render(signal, badgeStyle), SignalBadge.ContentType);
            })
            .AllowAnonymous()
            .Produces(StatusCodes.Status200OK, contentType: SignalBadge.ContentType).ProducesProblem(400).ProducesProblem(401)
            .WithTags("Signal").WithSummary("Your signal as an SVG badge (?style=card|flat); without a key only when signal.publishBadge is true (the owner's)");
    }
}
