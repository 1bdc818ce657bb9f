using System.Globalization;
using System.Text.Json.Nodes;
using MiniMe.Actions;

namespace MiniMe.Agents;

/// <summary>The Integrator's answer: the merged result and the actions proposed to the user.</summary>
public sealed record IntegrationOutput(string Summary, IReadOnlyList<ActionProposal> Proposals);

public static class IntegratorAgent
{
    /// <summary>Tools a proposal may name, with their required string arguments.</summary>
    public static IReadOnlyDictionary<string, string[]> Tools { get; } = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        ["write_file"] = ["path", "content"],
        ["apply_patch"] = ["patch"],
        ["run_command"] = [],
    };

    public static AgentSpec<IntegrationOutput> Spec { get; } = new(
        AgentNames.Integrator,
        """
        You are the Integrator. Merge the plan, the build and the review into the final result and
        resolve conflicts between them (duplicate paths, patches to files that are also written
        whole). Propose the actions that realise it, in order: write_file {path, content},
        apply_patch {path, patch} (a unified diff), run_command {argv[]} (program then
        arguments, e.g. ["dotnet", "test"]). Every proposal
        needs a rationale. Nothing runs until the user approves it. Propose the reviewed files and
        patches as they are: whatever you change or add is checked again and shown to the user as
        changed after review.
        """,
        """
        {
          "type": "object",
          "required": ["summary", "proposals"],
          "additionalProperties": false,
          "properties": {
            "summary": { "type": "string", "minLength": 1 },
            "proposals": { "type": "array", "items": {
              "type": "object", "required": ["tool", "arguments", "rationale"], "additionalProperties": false,
              "properties": {
                "tool": { "type": "string", "enum": ["write_file", "apply_patch", "run_command"] },
                "arguments": { "type": "object" },
                "rationale": { "type": "string", "minLength": 1 }
              } } }
          }
        }
        """,
        check: CheckArguments,
        read: Read);

    private static IEnumerable<string> CheckArguments(JsonObject output)
    {
        var proposals = output["proposals"]!.AsArray();
        for (var i = 0; i < proposals.Count; i++)
        {
            var tool = proposals[i]!["tool"]!.GetValue<string>();
            var arguments = proposals[i]!["arguments"]!.AsObject();
            foreach (var name in Tools[tool])
                if (arguments[name] is not JsonValue v || !v.TryGetValue<string>(out var s) || s.Length == 0)
                    yield return $"$.proposals[{i}].arguments.{name}: {tool} needs a non-empty string";
            if (tool == "run_command" && (arguments["argv"] is not JsonArray argv || argv.Count == 0 || argv.Any(a => a is not JsonValue av || !av.TryGetValue<string>(out var part) || part.Length == 0)))
                yield return $"$.proposals[{i}].arguments.argv: run_command needs a non-empty array of non-empty strings (program first)";
        }
    }

    private static IntegrationOutput Read(JsonObject output) => new(
        output["summary"]!.GetValue<string>(),
        [.. output["proposals"]!.AsArray().Select((p, i) => new ActionProposal(
            "p" + (i + 1).ToString(CultureInfo.InvariantCulture),
            p!["tool"]!.GetValue<string>(),
            p["arguments"]!.AsObject().DeepClone().AsObject(),
            p["rationale"]!.GetValue<string>(),
            AgentNames.Integrator))]);
}
