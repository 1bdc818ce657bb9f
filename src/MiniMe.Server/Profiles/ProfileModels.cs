using MiniMe.Identity;

namespace MiniMe.Server.Profiles;

public sealed record ProfilePersona(string? Voice, string? Tone, IReadOnlyList<string>? StyleRules, IReadOnlyList<string>? Values);

public sealed record ProfilePrinciple(string? Name, string? Description, double? Magnitude, string? Scope, string? Target, IReadOnlyList<string>? Tags);

/// <summary>The user's profile: the persona MiniMe speaks with and the principles it applies (identity.yaml).</summary>
public sealed record Profile(string UserId, ProfilePersona Persona, IReadOnlyList<ProfilePrinciple> Principles)
{
    public static Profile Of(string userId, IdentityDocument identity)
    {
        ArgumentNullException.ThrowIfNull(identity);
        return new(
            userId,
            new ProfilePersona(identity.Persona.Voice, identity.Persona.Tone, identity.Persona.StyleRules, identity.Persona.Values),
            [.. identity.Principles.Select(p => new ProfilePrinciple(p.Name, p.Description, p.Magnitude, p.Scope.ToString().ToLowerInvariant(), p.Target, p.Tags))]);
    }
}

/// <summary>
/// A profile update. A member left out (null) keeps what the profile has: no persona keeps the
/// persona, no principles keeps the principles, a persona without tone keeps the tone. An empty list
/// clears (principles: [] removes them all; undo brings them back).
/// </summary>
public sealed record ProfileBody(ProfilePersona? Persona, IReadOnlyList<ProfilePrinciple>? Principles);

/// <summary>One earlier identity.yaml kept for undo: its id (the file name without .yaml), when it was replaced, and what it held.</summary>
public sealed record ProfileVersion(string Id, DateTimeOffset ReplacedAt, string Voice, string Tone, int Principles, string Path);

/// <summary>A profile update that breaks the rules; <see cref="Problems"/> lists every one, not only the first.</summary>
public sealed class ProfileInvalidException(IReadOnlyList<string> problems)
    : MiniMeException(ErrorCategory.InvalidInput, Describe(problems))
{
    public IReadOnlyList<string> Problems { get; } = problems;

    private static string Describe(IReadOnlyList<string> problems) =>
        problems.Count == 1 ? $"The profile is invalid: {problems[0]}." : $"The profile has {problems.Count} problems: {string.Join("; ", problems)}.";
}

/// <summary>There is no earlier identity to go back to.</summary>
public sealed class NothingToUndoException(string message) : MiniMeException(ErrorCategory.Conflict, message);
