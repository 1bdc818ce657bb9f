using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using MiniMe.Server.Auth;
using MiniMe.Server.Schedules;

namespace MiniMe.Server.Endpoints;

/// <summary>POST /v1/schedules: a cron expression (five fields, in schedules.timeZone) and what each run asks; kind chat (default), ask, or workflow with a workflow name.</summary>
public sealed record ScheduleCreateRequest(string? Cron, string? Prompt, string? Name = null, string? Kind = null, string? Workflow = null);

internal static class ScheduleEndpoints
{
    public static void Map(RouteGroupBuilder v1)
    {
        var schedules = v1.MapGroup("/schedules").WithTags("Schedules");
        schedules.MapGet("/", (ClaimsPrincipal user, ScheduleService service) => TypedResults.Ok(service.List(user.UserId())))
            .WithSummary("Your schedules, oldest first, each with its next run and how the last one went");
        schedules.MapPost("/", (ScheduleCreateRequest request, ClaimsPrincipal user, ScheduleService service) =>
            {
                var schedule = service.Add(user.UserId(), request.Cron, request.Prompt, request.Name, request.Kind, request.Workflow);
                return TypedResults.Created($"/v1/schedules/{schedule.Id}", schedule);
            })
            .WithSummary("Add a schedule: cron (minute hour day-of-month month day-of-week, in schedules.timeZone), prompt, optional name, kind (chat|ask|workflow) and workflow (a workflow's name; its task is the prompt)")
            .ProducesProblem(400);
        schedules.MapGet("/{id}", (string id, ClaimsPrincipal user, ScheduleService service) => TypedResults.Ok(service.Require(user.UserId(), id)))
            .WithSummary("One schedule").ProducesProblem(404);
        schedules.MapDelete("/{id}", (string id, ClaimsPrincipal user, ScheduleService service) =>
            {
                service.Remove(user.UserId(), id);
                return Results.NoContent();
            })
            .WithSummary("Remove a schedule (its runs' traces, conversation and proposals stay)").ProducesProblem(404);
        schedules.MapPost("/{id}/run", async (string id, ClaimsPrincipal user, ScheduleService service, CancellationToken cancellationToken) =>
                TypedResults.Ok(await service.RunNowAsync(user.UserId(), id, cancellationToken).ConfigureAwait(false)))
            .WithSummary("Run a schedule now, as a traced run (its next run stays); a run that failed (no chat model, say) answers status failed with the reason")
            .ProducesProblem(404);
    }
}
