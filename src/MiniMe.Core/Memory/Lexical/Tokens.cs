namespace MiniMe.Memory.Lexical;

/// <summary>Finds word tokens (letters, digits, underscore, inner hyphen) in text without allocating per character.</summary>
public static class Tokens
{
    public static IEnumerable<(int Start, int Length)> Find(string text)
    {
        var i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && !IsWordChar(text[i])) i++;
            var start = i;
            while (i < text.Length && (IsWordChar(text[i]) || (text[i] == '-' && i + 1 < text.Length && char.IsLetterOrDigit(text[i + 1]) && i > start)))
                i++;
            if (i > start) yield return (start, i - start);
        }
    }

    public static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || c == '_';
}
