using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace MiniMe.Tracing;

/// <summary>Run ids sort by time and are safe as file names: 20261123-091502-3fa9c1.</summary>
public static partial class RunId
{
    public static string New(DateTimeOffset now) =>
        now.UtcDateTime.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture) + "-" +
        Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));

    /// <summary>Only letters, digits, '-' and '_' (no separators, no "..": an id can never name a path).</summary>
    public static bool IsValid(string? id) => id is { Length: > 0 and <= 64 } && Pattern().IsMatch(id);

    [GeneratedRegex("^[A-Za-z0-9_-]+$")]
    private static partial Regex Pattern();
}
