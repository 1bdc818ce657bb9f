using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
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
        profile.MapPut("/", async Task<IResult> (JsonObject body, ClaimsPrincipal user, UserSpaces spaces, ProfileService profiles, IOptions<JsonOptions> json,
                CancellationToken cancellationToken) =>
            {
                try
                {
                    var update = Read(body, json.Value.SerializerOptions);
                    return TypedResults.Ok(await profiles.UpdateAsync(spaces.Get(user.UserId()), update, cancellationToken).ConfigureAwait(false));
                }
                catch (ProfileInvalidException e)
                {
                    // Every problem at once: in the detail, and one per entry in "errors".
                    return TypedResults.Problem(detail: e.Message, statusCode: 400, title: "Invalid input", type: ProblemResponses.TypeFor(400),
                        extensions: new Dictionary<string, object?> { ["errors"] = e.Problems });
                }
            })
            .Accepts<ProfileBody>("application/json")
            .WithSummary("Update your persona and principles (members left out are kept; unknown members refused; validated; the version replaced is kept for undo)").ProducesProblem(400);
        profile.MapPost("/undo", async (ClaimsPrincipal user, UserSpaces spaces, ProfileService profiles, CancellationToken cancellationToken) =>
                TypedResults.Ok(await profiles.UndoAsync(spaces.Get(user.UserId()), cancellationToken).ConfigureAwait(false)))
            .WithSummary("Go back to the profile before the last update").ProducesProblem(409);
        profile.MapGet("/history", (ClaimsPrincipal user, UserSpaces spaces, ProfileService profiles) =>
                TypedResults.Ok(profiles.History(spaces.Get(user.UserId())).Select(v => new ProfileVersionView(v.Id, v.ReplacedAt, v.Voice, v.Tone, v.Principles)).ToList()))
            .WithSummary("The earlier profiles kept for undo, newest first");
    }

    private static readonly string[] Members = ["persona", "principles", "user_id"];
    private static readonly string[] PersonaMembers = ["voice", "tone", "style_rules", "values"];
    private static readonly string[] PrincipleMembers = ["name", "description", "magnitude", "scope", "target", "tags"];

    /// <summary>
    /// A PUT body as a profile update: every unknown member at once (a misspelt "voise" would otherwise be
    /// dropped and the old voice kept without a word), then the members' types. "user_id", as GET returns
    /// it, is allowed and ignored: the profile is always the caller's.
    /// </summary>
    private static ProfileBody Read(JsonObject body, JsonSerializerOptions options)
    {
        var unknown = JsonMembers.Unknown(body, Members).ToList();
        if (body["persona"] is JsonObject persona) unknown.AddRange(JsonMembers.Unknown(persona, PersonaMembers, "persona."));
        if (body["principles"] is JsonArray principles)
            for (var i = 0; i < principles.Count; i++)
                if (principles[i] is JsonObject principle) unknown.AddRange(JsonMembers.Unknown(principle, PrincipleMembers, $"principles[{i}]."));
        if (unknown.Count > 0) throw new ProfileInvalidException(unknown);
        try
        {
            return body.Deserialize<ProfileBody>(options) ?? new ProfileBody(null, null);
        }
        catch (JsonException e)
        {
            var where = e.Path is { Length: > 2 } path && path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : "the body";
            throw new ProfileInvalidException([$"{where} has the wrong type (persona is an object, principles a list of objects; voice, tone, name, description, scope and target are strings, magnitude a number from 0 to 1, style_rules, values and tags lists of strings)"]);
        }
    }
}
