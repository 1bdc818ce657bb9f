namespace MiniMe.Agents;

public sealed record PlannedModule(string Name, string Responsibility, IReadOnlyList<string> DependsOn);

public sealed record PlannedFile(string Path, string Purpose);

/// <summary>The Architect's answer: modules, their dependencies, and the file layout.</summary>
public sealed record ArchitectPlan(string Summary, IReadOnlyList<PlannedModule> Modules, IReadOnlyList<PlannedFile> Files);

public static class ArchitectAgent
{
    public static AgentSpec<ArchitectPlan> Spec { get; } = new(
        AgentNames.Architect,
        """
        You are the Architect. Design the change before anyone writes code: the modules involved, what
        each is responsible for, how they depend on each other, and the files to create or change.
        Keep it as small as the task allows. Do not write code.
        """,
        """
        {
          "type": "object",
          "required": ["summary", "modules", "files"],
          "additionalProperties": false,
          "properties": {
            "summary": { "type": "string", "minLength": 1 },
            "modules": { "type": "array", "items": {
              "type": "object", "required": ["name", "responsibility", "depends_on"], "additionalProperties": false,
              "properties": {
                "name": { "type": "string", "minLength": 1 },
                "responsibility": { "type": "string", "minLength": 1 },
                "depends_on": { "type": "array", "items": { "type": "string" } }
              } } },
            "files": { "type": "array", "items": {
              "type": "object", "required": ["path", "purpose"], "additionalProperties": false,
              "properties": {
                "path": { "type": "string", "minLength": 1 },
                "purpose": { "type": "string" }
              } } }
          }
        }
        """,
        check: plan =>
        {
            var names = plan["modules"]!.AsArray().Select(m => m!["name"]!.GetValue<string>()).ToHashSet(StringComparer.Ordinal);
            return plan["modules"]!.AsArray()
                .SelectMany(m => m!["depends_on"]!.AsArray().Select(d => (Module: m["name"]!.GetValue<string>(), Dependency: d!.GetValue<string>())))
                .Where(p => !names.Contains(p.Dependency))
                .Select(p => $"$.modules: '{p.Module}' depends on '{p.Dependency}', which is not one of the modules");
        });
}
