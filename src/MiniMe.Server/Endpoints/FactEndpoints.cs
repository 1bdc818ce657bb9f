using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using MiniMe.Server.Auth;
using MiniMe.Server.Facts;
using MiniMe.Hosting.Users;

namespace MiniMe.Server.Endpoints;

internal static class FactEndpoints
{
    public static void Map(RouteGroupBuilder memory)
    {
        var facts = memory.MapGroup("/facts").WithTags("Facts");
        facts.MapGet("/", (string? category, int? limit, ClaimsPrincipal user, UserSpaces spaces, IUserFacts store, CancellationToken cancellationToken) =>
                store.ListAsync(spaces.Get(user.UserId()), category, Limits.Clamp(limit, 200, 1000), cancellationToken))
            .WithSummary("Facts about you, most recently changed first");
        facts.MapGet("/{id:long}", async (long id, ClaimsPrincipal user, UserSpaces spaces, IUserFacts store, CancellationToken cancellationToken) =>
                TypedResults.Ok(await store.GetAsync(spaces.Get(user.UserId()), id, cancellationToken).ConfigureAwait(false) ?? throw NotFound(id)))
            .WithSummary("One fact").ProducesProblem(404);
        facts.MapPost("/", async (FactInput input, ClaimsPrincipal user, UserSpaces spaces, IUserFacts store, CancellationToken cancellationToken) =>
            {
                var result = await store.AddAsync(spaces.Get(user.UserId()), input, cancellationToken).ConfigureAwait(false);
                return TypedResults.Created($"/v1/memory/facts/{result.Fact.Id}", result);
            })
            .WithSummary("Remember a fact; a duplicate reinforces the known one").ProducesProblem(400);
        facts.MapPut("/{id:long}", (long id, FactInput input, ClaimsPrincipal user, UserSpaces spaces, IUserFacts store, CancellationToken cancellationToken) =>
                store.UpdateAsync(spaces.Get(user.UserId()), id, input, cancellationToken))
            .WithSummary("Change a fact (members left out keep their value)").ProducesProblem(400).ProducesProblem(404);
        facts.MapDelete("/{id:long}", async (long id, ClaimsPrincipal user, UserSpaces spaces, IUserFacts store, CancellationToken cancellationToken) =>
                await store.DeleteAsync(spaces.Get(user.UserId()), id, cancellationToken).ConfigureAwait(false) ? Results.NoContent() : throw NotFound(id))
            .WithSummary("Forget a fact").ProducesProblem(404);
    }

    private static NotFoundException NotFound(long id) => new($"No fact {id}; GET /v1/memory/facts lists yours.");
}
