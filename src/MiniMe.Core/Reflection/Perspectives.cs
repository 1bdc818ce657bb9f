using System.Globalization;
using System.Text.Json.Nodes;
using MiniMe.Agents;

namespace MiniMe.Reflection;

/// <summary>One reviewer on the panel: its name, the role it plays and the principles it reviews by.</summary>
public sealed record Perspective(string Name, string Role, IReadOnlyList<string> Principles)
{
    /// <summary>"Engineer" for "engineer": how the prompt addresses it.</summary>
    public string Title => CultureInfo.InvariantCulture.TextInfo.ToTitleCase(Name);

    /// <summary>The agent: its instructions, the verdict schema and the checks the schema cannot express.</summary>
    public AgentSpec<PerspectiveVerdict> Spec => new(Name, Instructions, Perspectives.VerdictSchema, Perspectives.CheckVerdict, json => Perspectives.ReadVerdict(Name, json))
    {
        UsesTools = false,
    };

    private string Instructions =>
        $"""
        You are the {Title} on MiniMe's reflection panel. {Role}
        Your principles:
        {string.Join("\n", Principles.Select(p => "- " + p))}

        Review the subject below from this perspective only; other perspectives review it separately.
        "assessment": two to five sentences of your judgement. "stance": "support" when the subject is sound
        and should stand, "oppose" when it should not, "mixed" in between (or a number from -1, oppose, to 1,
        support). "concerns": each specific problem you see, one per item (empty when none).
        "confidence": how sure you are of your verdict, from 0 to 1.
        """;
}

/// <summary>The built-in perspectives, the verdict schema every one of them answers with, and how a verdict is read.</summary>
public static class Perspectives
{
    public static Perspective Engineer { get; } = new("engineer",
        "You judge whether things work: correctness, feasibility, maintainability, cost and risk.",
        ["Prefer what can be tested and measured over what sounds good.", "Name the failure modes and what they cost.", "Simple and reversible beats clever."]);

    public static Perspective Librarian { get; } = new("librarian",
        "You judge what is known and where it came from: sources, provenance, consistency with what is recorded, and what is missing.",
        ["Every claim should trace to a source.", "Flag what contradicts or duplicates what is already recorded.", "Say what evidence would settle an open question."]);

    public static Perspective Philosopher { get; } = new("philosopher",
        "You judge meaning and purpose: the assumptions underneath, the values at stake and the long-term consequences.",
        ["Make hidden assumptions explicit.", "Ask whether the goal is the right one, not only whether the means work.", "Weigh long-term consequences over short-term convenience."]);

    public static Perspective Skeptic { get; } = new("skeptic",
        "You look for what is wrong: weak arguments, overconfidence, missing alternatives and ways it could fail.",
        ["Assume nothing is proven until shown.", "Look for the strongest objection, not the easiest one.", "Lower your confidence when the evidence is thin."]);

    public static Perspective Ethicist { get; } = new("ethicist",
        "You judge who is affected and how: privacy, fairness, consent, honesty and harm.",
        ["Personal data stays with its owner unless they chose otherwise.", "Name who bears the risk and who gains.", "Prefer the option that keeps people informed and in control."]);

    public static IReadOnlyList<Perspective> BuiltIn { get; } = [Engineer, Librarian, Philosopher, Skeptic, Ethicist];

    public static IReadOnlyList<string> Names { get; } = [.. BuiltIn.Select(p => p.Name)];

    /// <summary>The panel when none is named (reflect.perspectives).</summary>
    public const string DefaultNames = "engineer,librarian,philosopher,skeptic";

    /// <summary>
    /// The perspectives a comma-separated list names (case-insensitive, duplicates once); an unknown name
    /// is an <see cref="InvalidInputException"/> with the closest one.
    /// </summary>
    public static IReadOnlyList<Perspective> Parse(string? names, string where = "--perspectives")
    {
        var list = (string.IsNullOrWhiteSpace(names) ? DefaultNames : names)
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(n => n.ToLowerInvariant())
            .Distinct(StringComparer.Ordinal)
            .ToList();
        if (list.Count == 0) throw new InvalidInputException($"{where} names no perspective; use some of {string.Join(", ", Names)}.");
        return [.. list.Select(n => BuiltIn.FirstOrDefault(p => p.Name == n) ?? throw new InvalidInputException(
            $"{where}: unknown perspective '{n}'" + (MiniMe.Configuration.SettingKeys.Closest(n, Names) is { } s ? $"; did you mean '{s}'?" : $"; use some of {string.Join(", ", Names)}.")))];
    }

    public const string VerdictSchema = """
        {
          "type": "object",
          "required": ["assessment", "stance", "concerns", "confidence"],
          "additionalProperties": false,
          "properties": {
            "assessment": { "type": "string", "minLength": 1 },
            "stance": { "type": ["string", "number"] },
            "concerns": { "type": "array", "items": { "type": "string" } },
            "confidence": { "type": "number", "minimum": 0, "maximum": 1 }
          }
        }
        """;

    /// <summary>A stance is one of support, mixed, oppose (any case) or a number in [-1, 1].</summary>
    internal static IEnumerable<string> CheckVerdict(JsonObject verdict)
    {
        var stance = verdict["stance"]!.AsValue();
        if (stance.TryGetValue<string>(out var word))
        {
            if (!Stances.All.Contains(word.Trim().ToLowerInvariant()))
                yield return $"$.stance: '{word}' is not one of support, mixed, oppose (or a number from -1 to 1)";
        }
        else if (stance.GetValue<double>() is var n && (n < -1 || n > 1 || !double.IsFinite(n)))
        {
            yield return $"$.stance: {n.ToString(CultureInfo.InvariantCulture)} is outside [-1, 1]";
        }
    }

    internal static PerspectiveVerdict ReadVerdict(string perspective, JsonObject json)
    {
        var stance = json["stance"]!.AsValue();
        var (label, value) = stance.TryGetValue<string>(out var word)
            ? (word.Trim().ToLowerInvariant(), Stances.ValueOf(word.Trim().ToLowerInvariant()))
            : (Stances.LabelOf(stance.GetValue<double>()), stance.GetValue<double>());
        var concerns = json["concerns"]!.AsArray().Select(c => c!.GetValue<string>().Trim()).Where(c => c.Length > 0).ToList();
        return new PerspectiveVerdict(perspective, json["assessment"]!.GetValue<string>().Trim(), label, value, concerns, json["confidence"]!.GetValue<double>());
    }

    /// <summary>The synthesis agent: merges the verdicts into a summary, what they agree on and the concerns left open.</summary>
    public static AgentSpec<ReflectionSynthesis> Synthesis { get; } = new(
        "synthesis",
        """
        You are the Synthesis of MiniMe's reflection panel. Several perspectives reviewed the same subject;
        their verdicts are below. Merge them faithfully: do not add a verdict of your own.
        "summary": three to six sentences on where the panel stands and why. "agreements": the points the
        perspectives share, one per item. "open_concerns": the concerns that remain unresolved or on which
        the perspectives disagree, one per item, naming who raised them.
        """,
        """
        {
          "type": "object",
          "required": ["summary", "agreements", "open_concerns"],
          "additionalProperties": false,
          "properties": {
            "summary": { "type": "string", "minLength": 1 },
            "agreements": { "type": "array", "items": { "type": "string" } },
            "open_concerns": { "type": "array", "items": { "type": "string" } }
          }
        }
        """)
    {
        UsesTools = false,
    };
}
