using System.Text.Json.Nodes;
using MiniMe.Actions;
using MiniMe.Runs;
using MiniMe.Server.Ask;
using MiniMe.Hosting.Users;

namespace MiniMe.Server.Tests.Support;

/// <summary>
/// Stands in for the LLM agent team behind POST /v1/ask: the real dry-run pipeline (masks, retrieval,
/// context, trace) plus the proposals a model would have made.
/// </summary>
public sealed class ScriptedTeamAskService : IAskService
{
    private readonly AskService _pipeline = new();

    public async Task<AskOutcome> AskAsync(UserSpace user, AskRequest request, CancellationToken cancellationToken)
    {
        var outcome = await _pipeline.AskAsync(user, request with { DryRun = true }, cancellationToken);
        return outcome with
        {
            Proposals =
            [
                new ActionProposal("p1", "write_file", new JsonObject { ["path"] = "docs/health.md", ["content"] = "# Health\n" }, "Document the health check", "integrator"),
                new ActionProposal("p2", "run_command", new JsonObject { ["argv"] = new JsonArray("dotnet", "test") }, "Run the tests", "integrator"),
            ],
        };
    }
}
