using System.Globalization;

namespace MiniMe.Server.Goals;

/// <summary>A goal's status: worked on, reached, or put away.</summary>
public static class GoalStatuses
{
    public const string Active = "active";
    public const string Done = "done";
    public const string Archived = "archived";

    public static IReadOnlyList<string> All { get; } = [Active, Done, Archived];

    public static string Parse(string? text) =>
        text?.Trim().ToLowerInvariant() is { } s && All.Contains(s)
            ? s
            : throw new InvalidInputException($"Goal status '{text}' is not one of {string.Join(", ", All)}.");
}

public static class MilestoneStatuses
{
    public const string Open = "open";
    public const string Done = "done";

    public static IReadOnlyList<string> All { get; } = [Open, Done];

    public static string Parse(string? text) =>
        text?.Trim().ToLowerInvariant() is { } s && All.Contains(s)
            ? s
            : throw new InvalidInputException($"Milestone status '{text}' is not one of {string.Join(", ", All)}.");
}

/// <summary>What a goal can link to: a fact (its number), a run (its id) or a conversation (its id).</summary>
public static class GoalLinkKinds
{
    public const string Fact = "fact";
    public const string Run = "run";
    public const string Conversation = "conversation";

    public static IReadOnlyList<string> All { get; } = [Fact, Run, Conversation];

    public static string Parse(string? text) =>
        text?.Trim().ToLowerInvariant() is { } s && All.Contains(s)
            ? s
            : throw new InvalidInputException($"Link kind '{text}' is not one of {string.Join(", ", All)}.");
}

/// <summary>A step towards a goal, in the goal's order.</summary>
public sealed record Milestone(string Id, string Title, string Status, DateOnly? Due, int Order, DateTimeOffset CreatedAt);

/// <summary>Something the goal is about: a fact, a run or a conversation of the same user.</summary>
public sealed record GoalLink(string Kind, string Id, DateTimeOffset CreatedAt);

/// <summary>A goal with its milestones (in order) and links.</summary>
public sealed record Goal(
    string Id,
    string Title,
    string Description,
    string Status,
    DateOnly? Deadline,
    int Progress,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    IReadOnlyList<Milestone> Milestones,
    IReadOnlyList<GoalLink> Links);

/// <summary>What to change on a goal; null members stay as they are (a deadline is cleared with <see cref="SetDeadline"/> and a null <see cref="Deadline"/>).</summary>
public sealed record GoalChanges(
    string? Title = null,
    string? Description = null,
    bool SetDeadline = false,
    DateOnly? Deadline = null,
    int? Progress = null,
    string? Status = null);

/// <summary>What to change on a milestone; null members stay as they are.</summary>
public sealed record MilestoneChanges(string? Title = null, string? Status = null, bool SetDue = false, DateOnly? Due = null, int? Order = null);

/// <summary>Parsing and checking what goals are made of, with messages that say what to type instead.</summary>
public static class GoalValues
{
    public const int MaxTitleChars = 200;
    public const int MaxDescriptionChars = 4000;

    public static DateOnly ParseDate(string? text, string what) =>
        DateOnly.TryParseExact(text?.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
            ? date
            : throw new InvalidInputException($"The {what} '{text}' is not a date; use YYYY-MM-DD (e.g. 2026-12-31).");

    /// <summary>Null or empty: none.</summary>
    public static DateOnly? ParseOptionalDate(string? text, string what) =>
        string.IsNullOrWhiteSpace(text) ? null : ParseDate(text, what);

    public static string Title(string? title, string what = "goal")
    {
        var trimmed = string.Join(' ', (title ?? "").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        if (trimmed.Length == 0) throw new InvalidInputException($"The {what}'s title is empty; give it a few words.");
        if (trimmed.Length > MaxTitleChars) throw new InvalidInputException($"The {what}'s title has {trimmed.Length} characters; the limit is {MaxTitleChars}.");
        return trimmed;
    }

    public static string Description(string? description)
    {
        var trimmed = (description ?? "").Trim();
        if (trimmed.Length > MaxDescriptionChars) throw new InvalidInputException($"The description has {trimmed.Length} characters; the limit is {MaxDescriptionChars}.");
        return trimmed;
    }

    public static int Progress(int progress) =>
        progress is >= 0 and <= 100 ? progress : throw new InvalidInputException($"Progress {progress} is out of range; give a percentage from 0 to 100.");

    public static string Format(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
