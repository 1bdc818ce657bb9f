using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using MiniMe.Hosting.Users;
using MiniMe.Server.Auth;
using MiniMe.Server.Goals;

namespace MiniMe.Server.Endpoints;

/// <summary>POST /v1/goals.</summary>
public sealed record GoalCreateRequest(string? Title, string? Description = null, string? Deadline = null, int? Progress = null);

/// <summary>PATCH /v1/goals/{id}: members left out stay as they are; "deadline": null removes the deadline.</summary>
public sealed record GoalPatchRequest(string? Title, string? Description, string? Deadline, int? Progress, string? Status);

/// <summary>POST /v1/goals/{id}/milestones.</summary>
public sealed record MilestoneCreateRequest(string? Title, string? Due = null);

/// <summary>PATCH /v1/goals/{id}/milestones/{mid}: members left out stay as they are; "due": null removes the due date.</summary>
public sealed record MilestonePatchRequest(string? Title, string? Status, string? Due, int? Order);

/// <summary>POST /v1/goals/{id}/links: kind fact, run or conversation, and its id.</summary>
public sealed record GoalLinkRequest(string? Kind, string? Id);

/// <summary>GET /v1/goals/alerts.</summary>
public sealed record GoalAlertsResponse(DateOnly Today, int AlertDays, IReadOnlyList<GoalAlert> Alerts);

internal static class GoalEndpoints
{
    public static void Map(RouteGroupBuilder v1)
    {
        var goals = v1.MapGroup("/goals").WithTags("Goals");
        goals.MapGet("/", (string? status, ClaimsPrincipal user, GoalStore store) =>
                TypedResults.Ok(store.List(user.UserId(), status is null or "all" ? null : status)))
            .WithSummary("Your goals, nearest deadline first; ?status=active|done|archived (default: all)").ProducesProblem(400);
        goals.MapPost("/", (GoalCreateRequest request, ClaimsPrincipal user, GoalStore store) =>
            {
                var goal = store.Create(user.UserId(), request.Title ?? "", request.Description,
                    GoalValues.ParseOptionalDate(request.Deadline, "deadline"), request.Progress ?? 0);
                return TypedResults.Created($"/v1/goals/{goal.Id}", goal);
            })
            .WithSummary("Create a goal (title; optional description, deadline YYYY-MM-DD, progress 0-100)").ProducesProblem(400);
        goals.MapGet("/alerts", (ClaimsPrincipal user, GoalAlerts alerts) =>
            {
                var today = alerts.Today;
                return TypedResults.Ok(new GoalAlertsResponse(today, alerts.AlertDays, alerts.For(user.UserId(), today)));
            })
            .WithSummary("Active goals due within goals.alertDays days, or overdue, most urgent first");
        goals.MapGet("/{id}", (string id, ClaimsPrincipal user, GoalStore store) => TypedResults.Ok(store.Require(user.UserId(), id)))
            .WithSummary("A goal with its milestones and links").ProducesProblem(404);
        goals.MapPatch("/{id}", (string id, JsonObject body, ClaimsPrincipal user, GoalStore store) =>
                TypedResults.Ok(store.Update(user.UserId(), id, GoalChangesFrom(body))))
            .Accepts<GoalPatchRequest>("application/json")
            .WithSummary("Change a goal's title, description, deadline (null removes it), progress or status").ProducesProblem(400).ProducesProblem(404);
        goals.MapDelete("/{id}", (string id, ClaimsPrincipal user, GoalStore store) =>
                store.Delete(user.UserId(), id) ? Results.NoContent() : throw new NotFoundException($"No goal '{id}'; GET /v1/goals lists yours."))
            .WithSummary("Delete a goal with its milestones and links").ProducesProblem(404);

        goals.MapPost("/{id}/milestones", (string id, MilestoneCreateRequest request, ClaimsPrincipal user, GoalStore store) =>
            {
                var milestone = store.AddMilestone(user.UserId(), id, request.Title ?? "", GoalValues.ParseOptionalDate(request.Due, "due date"));
                return TypedResults.Created($"/v1/goals/{id}/milestones/{milestone.Id}", milestone);
            })
            .WithSummary("Add a milestone (title, optional due date) after the goal's others").ProducesProblem(400).ProducesProblem(404);
        goals.MapPatch("/{id}/milestones/{mid}", (string id, string mid, JsonObject body, ClaimsPrincipal user, GoalStore store) =>
                TypedResults.Ok(store.UpdateMilestone(user.UserId(), id, mid, MilestoneChangesFrom(body))))
            .Accepts<MilestonePatchRequest>("application/json")
            .WithSummary("Change a milestone's title, status (open|done), due date (null removes it) or order").ProducesProblem(400).ProducesProblem(404);
        goals.MapDelete("/{id}/milestones/{mid}", (string id, string mid, ClaimsPrincipal user, GoalStore store) =>
            {
                store.RemoveMilestone(user.UserId(), id, mid);
                return Results.NoContent();
            })
            .WithSummary("Remove a milestone").ProducesProblem(404);
        goals.MapPost("/{id}/links", async (string id, GoalLinkRequest request, ClaimsPrincipal user, UserSpaces spaces, GoalLinkCheck links,
                CancellationToken cancellationToken) =>
            {
                var link = await links.LinkAsync(spaces.Get(user.UserId()), id, request.Kind ?? "", request.Id ?? "", cancellationToken).ConfigureAwait(false);
                return TypedResults.Created($"/v1/goals/{id}", link);
            })
            .WithSummary("Link the goal to one of your facts, runs or conversations").ProducesProblem(400).ProducesProblem(404);
        goals.MapPost("/{id}/suggestions", async (string id, ClaimsPrincipal user, GoalSuggester suggester, CancellationToken cancellationToken) =>
                TypedResults.Ok(await suggester.SuggestAsync(user.UserId(), id, cancellationToken).ConfigureAwait(false)))
            .WithSummary("Next actions for the goal from the model (a traced run); 503 without a model")
            .ProducesProblem(404).ProducesProblem(502).ProducesProblem(503);

        // The result sets the event-stream headers before it reads the first event; the flush sends them at
        // once, so a client knows the stream is open while nothing is due.
        v1.MapGet("/notifications", (HttpContext http, ClaimsPrincipal user, GoalNotifications notifications, CancellationToken cancellationToken) =>
                TypedResults.ServerSentEvents(notifications.StreamAsync(user.UserId(), http.Response.Body.FlushAsync, cancellationToken)))
            .WithTags("Notifications")
            .WithSummary("Server-sent events: a goal_due event per deadline alert now, then whenever a goal becomes due or its alert changes");
    }

    private static readonly string[] GoalMembers = ["title", "description", "deadline", "progress", "status"];
    private static readonly string[] MilestoneMembers = ["title", "status", "due", "order"];

    private static GoalChanges GoalChangesFrom(JsonObject body)
    {
        var (setDeadline, deadline) = Patch(body, GoalMembers, "deadline", "deadline");
        return new GoalChanges(Text(body, "title"), Text(body, "description"), setDeadline, deadline, Whole(body, "progress"), Text(body, "status"));
    }

    private static MilestoneChanges MilestoneChangesFrom(JsonObject body)
    {
        var (setDue, due) = Patch(body, MilestoneMembers, "due", "due date");
        return new MilestoneChanges(Text(body, "title"), Text(body, "status"), setDue, due, Whole(body, "order"));
    }

    /// <summary>A PATCH body of known members only, and its date member: whether it was given, and the date (null removes it).</summary>
    private static (bool Set, DateOnly? Date) Patch(JsonObject body, string[] members, string dateMember, string what)
    {
        JsonMembers.RequireKnown(body, members);
        var set = body.ContainsKey(dateMember);
        return (set, set ? GoalValues.ParseOptionalDate(Text(body, dateMember), what) : null);
    }

    private static string? Text(JsonObject body, string name) => body[name] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        _ => throw new InvalidInputException($"'{name}' must be a string."),
    };

    private static int? Whole(JsonObject body, string name) => body[name] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<int>(out var n) => n,
        JsonValue v when v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<double>(out var d) && d == Math.Floor(d) && Math.Abs(d) < int.MaxValue => (int)d,
        _ => throw new InvalidInputException($"'{name}' must be a whole number."),
    };
}
