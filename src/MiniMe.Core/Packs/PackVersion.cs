using System.Globalization;
using System.Text.RegularExpressions;

namespace MiniMe.Packs;

/// <summary>
/// A pack's version: 1 to 4 numbers and an optional pre-release label ("1.2", "2.0.1", "1.0.0-beta.2").
/// Compared number by number (1.10 is after 1.9; a missing number is 0, so "1.2" is "1.2.0"); a
/// pre-release comes before its release and pre-releases compare by label, ordinally. Written
/// normalized to at least three numbers: the name of the version's folder in the store.
/// </summary>
public sealed partial class PackVersion : IComparable<PackVersion>, IEquatable<PackVersion>
{
    private readonly int[] _numbers;

    private PackVersion(int[] numbers, string? label)
    {
        _numbers = numbers;
        Label = label;
    }

    /// <summary>The pre-release label after '-', or null for a release.</summary>
    public string? Label { get; }

    public static bool TryParse(string? text, out PackVersion version)
    {
        version = null!;
        if (text is null) return false;
        var match = Pattern().Match(text.Trim());
        if (!match.Success) return false;
        var numbers = match.Groups["numbers"].Value.Split('.').Select(n => int.Parse(n, NumberStyles.None, CultureInfo.InvariantCulture)).ToList();
        while (numbers.Count < 3) numbers.Add(0);
        version = new PackVersion([.. numbers], match.Groups["label"].Success ? match.Groups["label"].Value : null);
        return true;
    }

    /// <summary>Parses <paramref name="text"/> or throws an <see cref="InvalidInputException"/> saying what a version looks like.</summary>
    public static PackVersion Parse(string text) => TryParse(text, out var version)
        ? version
        : throw new InvalidInputException($"'{text}' is not a pack version; write numbers separated by dots, e.g. 1.0.0 or 2.1.0-beta.1.");

    public int CompareTo(PackVersion? other)
    {
        if (other is null) return 1;
        for (var i = 0; i < Math.Max(_numbers.Length, other._numbers.Length); i++)
        {
            var a = i < _numbers.Length ? _numbers[i] : 0;
            var b = i < other._numbers.Length ? other._numbers[i] : 0;
            if (a != b) return a.CompareTo(b);
        }
        return (Label, other.Label) switch
        {
            (null, null) => 0,
            (null, _) => 1,
            (_, null) => -1,
            _ => string.CompareOrdinal(Label, other.Label),
        };
    }

    public bool Equals(PackVersion? other) => other is not null && CompareTo(other) == 0;

    public override bool Equals(object? obj) => obj is PackVersion other && Equals(other);

    public override int GetHashCode() => ToString().GetHashCode(StringComparison.Ordinal);

    public override string ToString()
    {
        var numbers = _numbers.Length == 4 && _numbers[3] == 0 ? _numbers[..3] : _numbers;
        var text = string.Join('.', numbers.Select(n => n.ToString(CultureInfo.InvariantCulture)));
        return Label is null ? text : $"{text}-{Label}";
    }

    public static bool operator <(PackVersion left, PackVersion right) => left.CompareTo(right) < 0;

    public static bool operator >(PackVersion left, PackVersion right) => left.CompareTo(right) > 0;

    public static bool operator <=(PackVersion left, PackVersion right) => left.CompareTo(right) <= 0;

    public static bool operator >=(PackVersion left, PackVersion right) => left.CompareTo(right) >= 0;

    public static bool operator ==(PackVersion? left, PackVersion? right) => left is null ? right is null : left.Equals(right);

    public static bool operator !=(PackVersion? left, PackVersion? right) => !(left == right);

    [GeneratedRegex(@"^(?<numbers>\d{1,9}(\.\d{1,9}){0,3})(-(?<label>[0-9A-Za-z][0-9A-Za-z.]{0,31}))?$")]
    private static partial Regex Pattern();
}
