using System.Globalization;
using MiniMe.Identity;

namespace MiniMe.Server.Profiles;

/// <summary>
/// The rules a profile must meet before it is written, all checked at once so one answer lists every
/// problem: a voice and a tone (the prompt reads "… as a {voice}. Tone: {tone}."), style rules and
/// values that are not blank, principles with a unique name and a description, a magnitude from 0 to
/// 1, a known scope (domain and agent need a target), and lengths a prompt can carry.
/// </summary>
public static class ProfileValidator
{
    public const int MaxVoiceChars = 200;
    public const int MaxRuleChars = 500;
    public const int MaxRules = 50;
    public const int MaxNameChars = 100;
    public const int MaxDescriptionChars = 2000;
    public const int MaxPrinciples = 200;
    public const int MaxTagChars = 50;

    /// <summary>The merged profile (update over the current one) as an identity, or every problem with it.</summary>
    public static IdentityDocument Build(ProfilePersona persona, IReadOnlyList<ProfilePrinciple> principles)
    {
        ArgumentNullException.ThrowIfNull(persona);
        ArgumentNullException.ThrowIfNull(principles);
        var problems = new List<string>();
        var voice = Text(persona.Voice, "persona.voice", MaxVoiceChars, problems);
        var tone = Text(persona.Tone, "persona.tone", MaxVoiceChars, problems);
        var rules = Texts(persona.StyleRules, "persona.style_rules", MaxRuleChars, problems);
        var values = Texts(persona.Values, "persona.values", MaxRuleChars, problems);
        if (principles.Count > MaxPrinciples) problems.Add($"there are {principles.Count} principles; at most {MaxPrinciples}");
        var built = new List<Principle>();
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < principles.Count; i++)
        {
            var p = principles[i];
            var what = string.IsNullOrWhiteSpace(p?.Name) ? $"principle #{i + 1}" : $"principle #{i + 1} ('{p.Name.Trim()}')";
            if (p is null)
            {
                problems.Add($"{what} is null");
                continue;
            }
            var name = Text(p.Name, $"{what}: name", MaxNameChars, problems);
            if (name.Length > 0 && !names.Add(name)) problems.Add($"{what}: the name is used by another principle; names must be unique");
            var description = Text(p.Description, $"{what}: description", MaxDescriptionChars, problems);
            var magnitude = p.Magnitude ?? 0.5;
            if (!double.IsFinite(magnitude) || magnitude is < 0 or > 1)
                problems.Add($"{what}: magnitude {magnitude.ToString(CultureInfo.InvariantCulture)} is not from 0 to 1");
            var scope = PrincipleScope.Global;
            if (p.Scope is { } scopeText)
            {
                var known = Enum.GetNames<PrincipleScope>().FirstOrDefault(n => string.Equals(n, scopeText.Trim(), StringComparison.OrdinalIgnoreCase));
                if (known is null) problems.Add($"{what}: scope '{scopeText}' is not one of global, domain, task, agent");
                else scope = Enum.Parse<PrincipleScope>(known);
            }
            var target = string.IsNullOrWhiteSpace(p.Target) ? null : p.Target.Trim();
            if (scope is PrincipleScope.Domain or PrincipleScope.Agent && target is null)
                problems.Add($"{what}: a {scope.ToString().ToLowerInvariant()} principle needs a target (the {(scope == PrincipleScope.Domain ? "domain" : "agent")} it applies to)");
            if (target is { Length: > MaxNameChars }) problems.Add($"{what}: target has {target.Length} characters; at most {MaxNameChars}");
            var tags = Texts(p.Tags, $"{what}: tags", MaxTagChars, problems);
            built.Add(new Principle { Name = name, Description = description, Magnitude = magnitude, Scope = scope, Target = target, Tags = tags });
        }
        if (problems.Count > 0) throw new ProfileInvalidException(problems);
        return new IdentityDocument
        {
            Persona = new Persona { Voice = voice, Tone = tone, StyleRules = rules, Values = values },
            Principles = built,
        };
    }

    private static string Text(string? value, string what, int max, List<string> problems)
    {
        var text = value?.Trim() ?? "";
        if (text.Length == 0) problems.Add($"{what} is empty");
        else if (text.Length > max) problems.Add($"{what} has {text.Length} characters; at most {max}");
        else if (text.Contains('\n', StringComparison.Ordinal) || text.Contains('\r', StringComparison.Ordinal)) problems.Add($"{what} spans several lines; use one line");
        return text;
    }

    private static List<string> Texts(IReadOnlyList<string>? values, string what, int max, List<string> problems)
    {
        if (values is null) return [];
        if (values.Count > MaxRules) problems.Add($"{what} has {values.Count} entries; at most {MaxRules}");
        var result = new List<string>(values.Count);
        for (var i = 0; i < values.Count; i++)
            result.Add(Text(values[i], $"{what} #{i + 1}", max, problems));
        return result;
    }
}
