using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace MiniMe.Tracing;

/// <summary>Run ids sort by time and are safe as file names: 20261123-091502-3fa9c1.</summary>
public static partial class RunId
{
    private static readonly AsyncLocal<string?> s_reused = new();

    /// <summary>
    /// A new run id; inside <see cref="Reuse"/> (a replay), the recorded run's id instead, once: the replayed
    /// run's trace then carries the same id as the original's.
    /// </summary>
    public static string New(DateTimeOffset now)
    {
        if (s_reused.Value is { } reused)
        {
            s_reused.Value = null;
            return reused;
        }
        return Fresh(now);
    }

    /// <summary>The next <see cref="New"/> in this async context returns <paramref name="runId"/> (`minime replay`).</summary>
    public static IDisposable Reuse(string runId)
    {
        if (!IsValid(runId)) throw new InvalidInputException($"'{runId}' is not a valid run id (letters, digits, '-' and '_' only).");
        s_reused.Value = runId;
        return new Reset();
    }

    private sealed class Reset : IDisposable
    {
        public void Dispose() => s_reused.Value = null;
    }

    private static string Fresh(DateTimeOffset now) =>
        now.UtcDateTime.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture) + "-" +
        Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));

    /// <summary>Only letters, digits, '-' and '_' (no separators, no "..": an id can never name a path).</summary>
    public static bool IsValid(string? id) => id is { Length: > 0 and <= 64 } && Pattern().IsMatch(id);

    [GeneratedRegex("^[A-Za-z0-9_-]+$")]
    private static partial Regex Pattern();
}
