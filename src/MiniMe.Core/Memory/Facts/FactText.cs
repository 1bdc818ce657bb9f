using System.Globalization;
using System.Text;

namespace MiniMe.Memory.Facts;

/// <summary>Normalization of fact statements and categories.</summary>
public static class FactText
{
    public const int MaxCategoryLength = 40;
    public const string DefaultCategory = "general";

    /// <summary>Trims and collapses runs of whitespace (newlines included) to one space.</summary>
    public static string Normalize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var builder = new StringBuilder(text.Length);
        var space = false;
        foreach (var c in text.Trim())
        {
            if (char.IsWhiteSpace(c))
            {
                space = true;
                continue;
            }
            if (space && builder.Length > 0) builder.Append(' ');
            space = false;
            builder.Append(c);
        }
        return builder.ToString();
    }

    /// <summary>Lower-cased words joined by single spaces: texts with the same key are the same statement.</summary>
    public static string Key(string text) => string.Join(' ', Words(text));

    /// <summary>A category is a lower-case word: letters, digits, '-' and '_' (default "general").</summary>
    public static string NormalizeCategory(string? category)
    {
        if (string.IsNullOrWhiteSpace(category)) return DefaultCategory;
        var value = category.Trim().ToLowerInvariant();
        if (value.Length > MaxCategoryLength || !value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_') || !char.IsAsciiLetterOrDigit(value[0]))
            throw new InvalidInputException($"Category '{category}' is invalid: use up to {MaxCategoryLength} letters, digits, '-' or '_' (e.g. preferences).");
        return value;
    }

    /// <summary>
    /// Lower-cased words. Besides letters and digits, keeps what names tools and versions: "c#", "c++",
    /// "node.js", "3.5", "don't" (apostrophes, dots and hyphens only between word characters).
    /// </summary>
    internal static List<string> Words(string text)
    {
        var lower = text.ToLowerInvariant().Replace('\u2019', '\'');
        var words = new List<string>();
        var i = 0;
        while (i < lower.Length)
        {
            while (i < lower.Length && !IsWordChar(lower[i])) i++;
            var start = i;
            while (i < lower.Length && (IsWordChar(lower[i]) || IsInnerJoiner(lower, i, start))) i++;
            if (i > start) words.Add(lower[start..i]);
        }
        return words;
    }

    private static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || c is '_' or '#' or '+';

    private static bool IsInnerJoiner(string s, int i, int start) =>
        s[i] is '\'' or '.' or '-' && i > start && i + 1 < s.Length && char.IsLetterOrDigit(s[i + 1]);

    internal static bool TryNumber(string word, out string number)
    {
        if (word.Any(char.IsAsciiDigit) && double.TryParse(word, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
        {
            number = value.ToString("R", CultureInfo.InvariantCulture);
            return true;
        }
        var index = Array.IndexOf(NumberWords, word);
        number = index >= 0 ? index.ToString(CultureInfo.InvariantCulture) : "";
        return index >= 0;
    }

    private static readonly string[] NumberWords =
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"];
}
