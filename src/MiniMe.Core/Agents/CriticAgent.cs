namespace MiniMe.Agents;

/// <summary>A broken principle or constraint.</summary>
/// <param name="Rule">The principle's or constraint's name.</param>
/// <param name="Location">File path (or other place) it was found, if known.</param>
/// <param name="Source">"static" (a deterministic check) or "model" (the Critic's review).</param>
/// <param name="Blocking">Whether it makes the build invalid (false: a warning, reported as advice).</param>
/// <param name="RuleId">A static rule's stable id (e.g. "secret.keyword-value", "code.eval"; see <see cref="Constraints.ConstraintRules"/>); null for the model's findings.</param>
/// <param name="Line">The 1-based line in the file (for a patch: in the patched file) where it was found, if known.</param>
public sealed record Violation(string Rule, string Message, string? Location, string Source, bool Blocking = true, string? RuleId = null, int? Line = null)
{
    /// <summary>"blocking" or "warning".</summary>
    public string Severity => Blocking ? "blocking" : "warning";
}

/// <summary>The Critic model's own answer.</summary>
public sealed record CriticAnswer(bool Valid, IReadOnlyList<CriticAnswerViolation> Violations, IReadOnlyList<string> Suggestions);

public sealed record CriticAnswerViolation(string Principle, string Message, string? Location);

/// <summary>The combined verdict on one build: static checks plus the model's review.</summary>
public sealed record CriticReview(int Iteration, bool Valid, IReadOnlyList<Violation> Violations, IReadOnlyList<string> Suggestions, bool ModelReviewed);

public static class CriticAgent
{
    public static AgentSpec<CriticAnswer> Spec { get; } = new(
        AgentNames.Critic,
        """
        You are the Critic. Review the Builder's output against the user's principles and constraints
        above and against the task. "valid" is false when any principle or the task is violated; list
        each violation with the principle's name, what is wrong and where. Add concrete suggestions.
        Do not rewrite the code.
        """,
        """
        {
          "type": "object",
          "required": ["valid", "violations", "suggestions"],
          "additionalProperties": false,
          "properties": {
            "valid": { "type": "boolean" },
            "violations": { "type": "array", "items": {
              "type": "object", "required": ["principle", "message"], "additionalProperties": false,
              "properties": {
                "principle": { "type": "string", "minLength": 1 },
                "message": { "type": "string", "minLength": 1 },
                "location": { "type": ["string", "null"] }
              } } },
            "suggestions": { "type": "array", "items": { "type": "string" } }
          }
        }
        """,
        check: answer => answer["valid"]!.GetValue<bool>() && answer["violations"]!.AsArray().Count > 0
            ? ["$.valid: is true but violations are listed; set valid to false or remove the violations"]
            : []);
}
