using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using MiniMe.Hosting.Users;
using MiniMe.Server.Auth;
using MiniMe.Server.Problems;
using MiniMe.Server.Profiles;

namespace MiniMe.Server.Endpoints;

public sealed record ProfileVersionView(string Id, DateTimeOffset ReplacedAt, string Voice, string Tone, int Principles);

internal static class ProfileEndpoints
{
    public static void Map(RouteGroupBuilder v1)
    {
        var profile = v1.MapGroup("/profile").WithTags("Profile");
        profile.MapGet("/", (ClaimsPrincipal user, UserSpaces spaces, ProfileService profiles) =>
            TypedResults.Ok(profiles.Get(spaces.Get(user.UserId()))))
            .WithSummary("Your persona and principles");
        profile.MapPut("/", async Task<IResult> (ProfileBody body, ClaimsPrincipal user, UserSpaces spaces, ProfileService profiles, CancellationToken cancellationToken) =>
            {
                try
                {
                    return TypedResults.Ok(await profiles.UpdateAsync(spaces.Get(user.UserId()), body, cancellationToken).ConfigureAwait(false));
                }
                catch (ProfileInvalidException e)
                {
                    // Every problem at once: in the detail, and one per entry in "errors".
                    return TypedResults.Problem(detail: e.Message, statusCode: 400, title: "Invalid input", type: ProblemResponses.TypeFor(400),
                        extensions: new Dictionary<string, object?> { ["errors"] = e.Problems });
                }
            })
            .WithSummary("Update your persona and principles (members left out are kept; validated; the version replaced is kept for undo)").ProducesProblem(400);
        profile.MapPost("/undo", async (ClaimsPrincipal user, UserSpaces spaces, ProfileService profiles, CancellationToken cancellationToken) =>
                TypedResults.Ok(await profiles.UndoAsync(spaces.Get(user.UserId()), cancellationToken).ConfigureAwait(false)))
            .WithSummary("Go back to the profile before the last update").ProducesProblem(409);
        profile.MapGet("/history", (ClaimsPrincipal user, UserSpaces spaces, ProfileService profiles) =>
                TypedResults.Ok(profiles.History(spaces.Get(user.UserId())).Select(v => new ProfileVersionView(v.Id, v.ReplacedAt, v.Voice, v.Tone, v.Principles)).ToList()))
            .WithSummary("The earlier profiles kept for undo, newest first");
    }
}
