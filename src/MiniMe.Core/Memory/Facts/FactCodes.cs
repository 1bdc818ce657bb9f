using System.Text;

namespace MiniMe.Memory.Facts;

/// <summary>
/// The stable snake_case spelling of the fact enums, used in storage and JSON output
/// (FactStatus.Active is "active", FactChange.KeptBoth is "kept_both").
/// </summary>
public static class FactCodes
{
    public static string Code<T>(T value) where T : struct, Enum => Cache<T>.ToCode[value];

    public static T Parse<T>(string code) where T : struct, Enum =>
        Cache<T>.FromCode.TryGetValue(code, out var value)
            ? value
            : throw new InvalidInputException($"'{code}' is not one of: {string.Join(", ", Cache<T>.FromCode.Keys)}.");

    public static bool TryParse<T>(string code, out T value) where T : struct, Enum => Cache<T>.FromCode.TryGetValue(code, out value);

    public static IReadOnlyCollection<string> All<T>() where T : struct, Enum => Cache<T>.FromCode.Keys;

    private static class Cache<T> where T : struct, Enum
    {
        public static readonly Dictionary<T, string> ToCode = Enum.GetValues<T>().ToDictionary(v => v, v => Snake(v.ToString()));
        public static readonly Dictionary<string, T> FromCode = ToCode.ToDictionary(p => p.Value, p => p.Key, StringComparer.Ordinal);
    }

    private static string Snake(string name)
    {
        var builder = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0) builder.Append('_');
            builder.Append(char.ToLowerInvariant(name[i]));
        }
        return builder.ToString();
    }
}
