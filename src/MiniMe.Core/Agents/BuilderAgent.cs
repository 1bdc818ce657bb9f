namespace MiniMe.Agents;

public sealed record FileDraft(string Path, string Content, string? Purpose);

public sealed record PatchDraft(string Path, string Diff);

/// <summary>The Builder's answer: new files with their content and unified-diff patches to existing ones.</summary>
public sealed record BuildOutput(string Summary, IReadOnlyList<FileDraft> Files, IReadOnlyList<PatchDraft> Patches);

public static class BuilderAgent
{
    public static AgentSpec<BuildOutput> Spec { get; } = new(
        AgentNames.Builder,
        """
        You are the Builder. Implement the task (and the Architect's plan, if there is one): complete
        new files under "files", and changes to existing files as unified diffs (---/+++ headers and
        @@ hunks) under "patches". Paths are relative to the repository root. Include the tests that
        prove the change. Make every patch against the current text of its file (shown below, or read
        it with read_file when you may call tools): a patch whose context lines differ does not apply.
        When the Critic reports violations, fix every one of them.
        """,
        """
        {
          "type": "object",
          "required": ["summary", "files", "patches"],
          "additionalProperties": false,
          "properties": {
            "summary": { "type": "string", "minLength": 1 },
            "files": { "type": "array", "items": {
              "type": "object", "required": ["path", "content"], "additionalProperties": false,
              "properties": {
                "path": { "type": "string", "minLength": 1 },
                "content": { "type": "string" },
                "purpose": { "type": "string" }
              } } },
            "patches": { "type": "array", "items": {
              "type": "object", "required": ["path", "diff"], "additionalProperties": false,
              "properties": {
                "path": { "type": "string", "minLength": 1 },
                "diff": { "type": "string", "minLength": 1 }
              } } }
          }
        }
        """,
        check: build => build["files"]!.AsArray().Count + build["patches"]!.AsArray().Count == 0
            ? ["$: the build has no files and no patches; produce at least one"]
            : []);
}
