namespace MiniMe.Tools.Allowlist;

/// <summary>
/// The arguments a command rule allows after the program, written as words: each word matches one
/// argument (an <see cref="ArgumentGlob"/>; a lone * is any one argument) and a trailing "..." allows
/// any further arguments. "status ..." allows `git status` and `git status --short src`.
/// </summary>
public sealed class ArgumentPattern
{
    public const string Rest = "...";

    private readonly IReadOnlyList<ArgumentGlob> _words;
    private readonly bool _allowsRest;

    private ArgumentPattern(string text, IReadOnlyList<ArgumentGlob> words, bool allowsRest)
    {
        Text = text;
        _words = words;
        _allowsRest = allowsRest;
    }

    public string Text { get; }

    /// <summary>Parses "build ..." style text; "..." may only be the last word.</summary>
    public static ArgumentPattern Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var words = text.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        var rest = words.Length > 0 && words[^1] == Rest;
        if (rest) words = words[..^1];
        if (words.Contains(Rest))
            throw new FormatException($"'{Rest}' may only be the last word of an argument pattern ('{text}')");
        return new ArgumentPattern(text, [.. words.Select(w => new ArgumentGlob(w))], rest);
    }

    public bool IsMatch(IReadOnlyList<string> arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        if (arguments.Count < _words.Count || (!_allowsRest && arguments.Count != _words.Count)) return false;
        for (var i = 0; i < _words.Count; i++)
            if (!_words[i].IsMatch(arguments[i])) return false;
        return true;
    }

    /// <summary>Whether the word at <paramref name="index"/> is written literally (no glob) in the pattern: an option there is the user's explicit choice.</summary>
    public bool IsLiteralAt(int index) => index >= 0 && index < _words.Count && _words[index].IsLiteral;

    public override string ToString() => Text;
}
