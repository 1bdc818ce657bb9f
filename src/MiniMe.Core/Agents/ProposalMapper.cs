using System.Globalization;
using System.Text.Json.Nodes;
using MiniMe.Actions;

namespace MiniMe.Agents;

/// <summary>Proposals straight from the Builder's output, used when the Integrator is routed out.</summary>
public static class ProposalMapper
{
    public static IReadOnlyList<ActionProposal> FromBuild(BuildOutput build)
    {
        ArgumentNullException.ThrowIfNull(build);
        var proposals = new List<ActionProposal>();
        foreach (var file in build.Files)
            proposals.Add(new ActionProposal(Id(proposals.Count), "write_file",
                new JsonObject { ["path"] = file.Path, ["content"] = file.Content },
                file.Purpose is { Length: > 0 } purpose ? purpose : build.Summary, AgentNames.Builder));
        foreach (var patch in build.Patches)
            proposals.Add(new ActionProposal(Id(proposals.Count), "apply_patch",
                new JsonObject { ["path"] = patch.Path, ["patch"] = patch.Diff },
                build.Summary, AgentNames.Builder));
        return proposals;
    }

    private static string Id(int index) => "p" + (index + 1).ToString(CultureInfo.InvariantCulture);
}
