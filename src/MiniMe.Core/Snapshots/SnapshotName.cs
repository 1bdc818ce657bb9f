using System.Text.RegularExpressions;

namespace MiniMe.Snapshots;

/// <summary>
/// Snapshot names are folder names under snapshots/: letters, digits, '.', '-' and '_', starting with
/// a letter or digit, so no name can reach outside the folder ("../x", "/etc", "a/b" are refused).
/// </summary>
public static partial class SnapshotName
{
    public const int MaxLength = 64;

    public static bool IsValid(string? name) =>
        name is { Length: > 0 and <= MaxLength } && Pattern().IsMatch(name) && !name.Contains("..", StringComparison.Ordinal);

    public static string Validate(string? name) =>
        IsValid(name)
            ? name!
            : throw new InvalidInputException(
                $"Invalid snapshot name '{name}': use up to {MaxLength} letters, digits, '.', '-' or '_', starting with a letter or digit.");

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
