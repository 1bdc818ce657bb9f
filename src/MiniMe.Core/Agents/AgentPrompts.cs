using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using MiniMe.Identity;
using MiniMe.Tracing;

namespace MiniMe.Agents;

/// <summary>
/// Builds each agent's messages: the system message is the assembled context, the agent's role,
/// its agent-layer principles and its output schema; the user message carries the task and the
/// earlier agents' JSON.
/// </summary>
public static class AgentPrompts
{
    public static IReadOnlyList<ChatMessage> Architect(TeamRequest request) =>
        Messages(ArchitectAgent.Spec, request, $"Task: {request.Task}\n\nDesign the change.");

    public static IReadOnlyList<ChatMessage> Builder(TeamRequest request, JsonObject? plan, JsonObject? previousBuild, CriticReview? review)
    {
        var user = new StringBuilder($"Task: {request.Task}\n");
        if (plan is not null) user.Append($"\nThe Architect's plan:\n{Json(plan)}\n");
        if (previousBuild is not null && review is not null)
        {
            user.Append($"\nYour previous build:\n{Json(previousBuild)}\n\nThe Critic rejected it (round {review.Iteration}):\n");
            foreach (var v in review.Violations.Where(v => v.Blocking))
                user.Append($"- [{v.Rule}] {v.Message}{(v.Location is null ? "" : $" ({v.Location})")}\n");
            foreach (var s in review.Suggestions) user.Append($"- suggestion: {s}\n");
            user.Append("\nProduce the complete corrected build.");
        }
        else
        {
            user.Append("\nProduce the build.");
        }
        return Messages(BuilderAgent.Spec, request, user.ToString());
    }

    public static IReadOnlyList<ChatMessage> Critic(TeamRequest request, JsonObject build, IReadOnlyList<Violation> staticViolations)
    {
        var user = new StringBuilder($"Task: {request.Task}\n\nThe Builder's output:\n{Json(build)}\n");
        if (staticViolations.Count > 0)
        {
            user.Append("\nStatic checks already found (include them if they stand):\n");
            foreach (var v in staticViolations) user.Append($"- [{v.Rule}] {v.Message}{(v.Location is null ? "" : $" ({v.Location})")}{(v.Blocking ? "" : " (warning)")}\n");
        }
        user.Append("\nReview it.");
        return Messages(CriticAgent.Spec, request, user.ToString());
    }

    public static IReadOnlyList<ChatMessage> Integrator(TeamRequest request, JsonObject? plan, JsonObject? build, CriticReview? review)
    {
        var user = new StringBuilder($"Task: {request.Task}\n");
        if (plan is not null) user.Append($"\nThe Architect's plan:\n{Json(plan)}\n");
        if (build is not null) user.Append($"\nThe Builder's output:\n{Json(build)}\n");
        if (review is not null)
        {
            user.Append(review.Valid ? "\nThe Critic accepted the build.\n" : "\nThe Critic's unresolved violations (say so in the rationales):\n");
            foreach (var v in review.Violations.Where(v => v.Blocking)) user.Append($"- [{v.Rule}] {v.Message}\n");
        }
        user.Append("\nMerge the outputs and propose the actions.");
        return Messages(IntegratorAgent.Spec, request, user.ToString());
    }

    private static IReadOnlyList<ChatMessage> Messages<T>(AgentSpec<T> spec, TeamRequest request, string user)
    {
        var system = new StringBuilder(request.ContextPrompt.TrimEnd());
        system.Append("\n\n## Your role\n").Append(spec.Instructions.Trim()).Append('\n');
        if (request.AgentPrinciples.TryGetValue(spec.Name, out var own) && own.Count > 0)
        {
            system.Append("\nPrinciples for the ").Append(spec.Name).Append(":\n");
            foreach (var line in EffectiveIdentity.ToContextBlocks(own)) system.Append(line.Text).Append('\n');
        }
        system.Append("\n## Output\nAnswer with one JSON object and nothing else: no prose, no Markdown code fences. It must match this JSON schema:\n")
            .Append(spec.SchemaText);
        return [new ChatMessage(ChatRole.System, system.ToString()), new ChatMessage(ChatRole.User, user)];
    }

    private static string Json(JsonObject value) => value.ToJsonString(JsonFormats.Line);
}
