using System.Security.Claims;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using MiniMe.Context;
using MiniMe.Memory;
using MiniMe.Runs;
using MiniMe.Server.Ask;
using MiniMe.Server.Auth;
using MiniMe.Hosting.Users;

namespace MiniMe.Server.Endpoints;

/// <param name="DryRun">Stop after the context, as `minime ask --dry-run`: no model call, no proposals.</param>
public sealed record AskBody(string? Task, string? Domain = null, int? BudgetTokens = null, bool DryRun = false);

public sealed record ProposalView(
    string Id,
    string RunId,
    string Tool,
    JsonObject Arguments,
    string Rationale,
    string ProposedBy,
    string Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset? DecidedAt,
    string? Note,
    ProposalPreviewView? Preview = null);

public sealed record AskContextView(int TotalTokens, int BudgetTokens, string Tokenizer, IReadOnlyList<AssembledBlock> Blocks);

public sealed record AskResponse(
    string RunId,
    string Status,
    string? Notice,
    string Task,
    string Domain,
    double Complexity,
    string Policy,
    Masks.MaskWeights Masks,
    IReadOnlyList<SearchHit> Retrieved,
    AskContextView Context,
    IReadOnlyList<ProposalView> Proposals);

public sealed record ApproveBody(JsonObject? Arguments = null);

public sealed record RejectBody(string? Reason = null);

/// <param name="Output">What an executed run_command printed and how it ended; null for other tools and when nothing ran.</param>
public sealed record DecisionResponse(ProposalView Proposal, string Message, bool Executed, CommandOutputView? Output = null);

/// <summary>
/// An executed command's output in a decision answer: the exit code (null when killed), both streams as
/// kept (at most tools.maxOutputBytes each, secrets masked), whether each was cut there, bytes printed.
/// </summary>
public sealed record CommandOutputView(
    int? ExitCode,
    bool TimedOut,
    string Stdout,
    string Stderr,
    bool StdoutTruncated,
    bool StderrTruncated,
    long StdoutBytes,
    long StderrBytes,
    double DurationMs)
{
    public static CommandOutputView? From(MiniMe.Tools.CommandOutput? command) =>
        command is null ? null
        : new(command.ExitCode, command.TimedOut, command.Stdout, command.Stderr, command.StdoutTruncated, command.StderrTruncated,
            command.StdoutBytes, command.StderrBytes, Math.Round(command.Duration.TotalMilliseconds, 1));
}

internal static class AskEndpoints
{
    public static void Map(RouteGroupBuilder v1, ServerOptions options)
    {
        v1.MapPost("/ask", async (AskBody body, ClaimsPrincipal user, UserSpaces spaces, IAskService service, ProposalStore proposals, CancellationToken cancellationToken) =>
            {
                var task = body.Task?.Trim();
                if (string.IsNullOrEmpty(task)) throw new InvalidInputException("The task is empty; send {\"task\": \"...\"}.");
                if (task.Length > options.MaxMessageChars) throw new InvalidInputException($"The task has {task.Length} characters; the limit is {options.MaxMessageChars}.");
                if (body.BudgetTokens is < 100) throw new InvalidInputException("budget_tokens must be at least 100.");
                var space = spaces.Get(user.UserId());
                var outcome = await service.AskAsync(space, new AskRequest(task, DryRun: body.DryRun, body.Domain, body.BudgetTokens), cancellationToken).ConfigureAwait(false);
                var added = outcome.Proposals.Select(p => proposals.Add(space.UserId, outcome.Result.RunId, p)).ToList();
                await ProposalEvidence.ProposedAsync(space, added, cancellationToken).ConfigureAwait(false);
                var stored = await ViewsAsync(space, added, cancellationToken).ConfigureAwait(false);
                var r = outcome.Result;
                return TypedResults.Ok(new AskResponse(
                    r.RunId, r.Status, r.Notice, r.Task, r.Profile.Domain, Math.Round(r.Profile.Complexity, 4), r.PolicyName, r.Masks,
                    r.Retrieval.Hits, new AskContextView(r.Context.TotalTokens, r.Context.BudgetTokens, r.Context.TokenizerName, r.Context.Blocks), stored));
            })
            .WithTags("Ask").WithSummary("Plan a task: masks, retrieval, context and (with the agent team) proposed actions kept for approval")
            .ProducesProblem(400);

        var group = v1.MapGroup("/proposals").WithTags("Ask");
        group.MapGet("/", async (string? status, int? limit, ClaimsPrincipal user, UserSpaces spaces, ProposalStore proposals, CancellationToken cancellationToken) =>
            {
                var space = spaces.Get(user.UserId());
                var listed = proposals.List(space.UserId, status ?? ProposalStatuses.Pending, Limits.Clamp(limit, 100, 1000));
                return TypedResults.Ok(await ViewsAsync(space, listed, cancellationToken).ConfigureAwait(false));
            })
            .WithSummary("Your proposed actions (default: pending), each pending one with its preview (diff or argv)");
        group.MapGet("/{id}", async (string id, ClaimsPrincipal user, UserSpaces spaces, ProposalStore proposals, CancellationToken cancellationToken) =>
            {
                var space = spaces.Get(user.UserId());
                return TypedResults.Ok((await ViewsAsync(space, [proposals.Require(space.UserId, id)], cancellationToken).ConfigureAwait(false))[0]);
            })
            .WithSummary("One proposed action, with its preview when pending").ProducesProblem(404);
        group.MapPost("/{id}/approve", (string id, ApproveBody? body, ClaimsPrincipal user, UserSpaces spaces, ProposalStore proposals, IProposalDecider decider, CancellationToken cancellationToken) =>
                DecideAsync(id, new ProposalDecision(true, body?.Arguments, null), user, spaces, proposals, decider, cancellationToken))
            .WithSummary("Approve a proposed action (optionally with edited arguments)").ProducesProblem(404).ProducesProblem(409);
        group.MapPost("/{id}/reject", (string id, RejectBody? body, ClaimsPrincipal user, UserSpaces spaces, ProposalStore proposals, IProposalDecider decider, CancellationToken cancellationToken) =>
                DecideAsync(id, new ProposalDecision(false, null, body?.Reason), user, spaces, proposals, decider, cancellationToken))
            .WithSummary("Reject a proposed action; the rejection and its reason are kept as a correction pair").ProducesProblem(404).ProducesProblem(409);
    }

    /// <summary>
    /// Claims the proposal first (one atomic pending → deciding step in server.db), so of simultaneous
    /// decisions exactly one runs and every other one gets 409; then decides, and records the end:
    /// approved or rejected; pending again when the decider says nothing ran; failed, with the error,
    /// when it threw (it may have partly run; the run trace shows what did).
    /// </summary>
    private static async Task<DecisionResponse> DecideAsync(
        string id, ProposalDecision decision, ClaimsPrincipal user, UserSpaces spaces, ProposalStore proposals, IProposalDecider decider, CancellationToken cancellationToken)
    {
        var space = spaces.Get(user.UserId());
        var claimed = proposals.Claim(space.UserId, id);
        ProposalOutcome outcome;
        try
        {
            outcome = await decider.DecideAsync(space, claimed, decision, cancellationToken).ConfigureAwait(false);
        }
        catch (ProposalNotStartedException)
        {
            proposals.Release(space.UserId, id);
            throw;
        }
        catch (Exception e)
        {
            var what = e is OperationCanceledException ? "cancelled (the request was aborted)" : $"failed ({e.Message})";
            proposals.Fail(space.UserId, id, $"{what} while being decided; it may have partly run (the run trace shows what did)");
            throw;
        }
        var decided = proposals.Finish(space.UserId, id, outcome.Status, outcome.Message);
        await ProposalEvidence.DecidedAsync(space, decided, CancellationToken.None).ConfigureAwait(false);
        return new DecisionResponse(View(decided), outcome.Message, outcome.Executed, CommandOutputView.From(outcome.Command));
    }

    private static ProposalView View(StoredProposal p) => View(p, null);

    private static ProposalView View(StoredProposal p, ProposalPreviewView? preview) =>
        new(p.Id, p.RunId, p.Proposal.Tool, p.Proposal.Arguments, p.Proposal.Rationale, p.Proposal.ProposedBy, p.Status, p.CreatedAt, p.DecidedAt, p.Note, preview);

    private static async Task<List<ProposalView>> ViewsAsync(UserSpace space, IReadOnlyList<StoredProposal> stored, CancellationToken cancellationToken)
    {
        var previews = await ProposalPreviews.ForAsync(space, stored, cancellationToken).ConfigureAwait(false);
        return [.. stored.Select(p => View(p, previews.GetValueOrDefault(p.Id)))];
    }
}
