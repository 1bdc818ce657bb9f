namespace MiniMe.Tools.Commands;

/// <summary>Whether an option takes a value, and how it may be given.</summary>
public enum OptionArity
{
    /// <summary>A flag: no value (an attached one is refused).</summary>
    None,
    /// <summary>A value, attached (--name=v, -nV, -name:v) or as the next argument.</summary>
    Required,
    /// <summary>An optional value, attached only (--porcelain=v2): the next argument is never taken as its value.</summary>
    Optional,
}

/// <summary>
/// One option a program may be given, with every spelling it answers to and the form of its value.
/// Written compactly: <c>"-s|--short"</c>, <c>"-n|--max-count &lt;int&gt;"</c>, <c>"--porcelain[=&lt;enum:v1,v2&gt;]"</c>.
/// </summary>
public sealed record OptionSpec(IReadOnlyList<string> Names, OptionArity Arity, ValueForm? Value, string Text)
{
    /// <summary>The spelling shown in messages (the longest one).</summary>
    public string Display => Names.OrderByDescending(n => n.Length).First();

    public static OptionSpec Parse(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        var trimmed = text.Trim();
        var space = trimmed.IndexOf(' ', StringComparison.Ordinal);
        var bracket = trimmed.IndexOf('[', StringComparison.Ordinal);
        string names;
        var arity = OptionArity.None;
        ValueForm? value = null;
        if (bracket > 0 && (space < 0 || bracket < space))
        {
            // "--porcelain[=<enum:v1,v2>]" or "-u[<enum:no,normal,all>]"
            if (!trimmed.EndsWith(']')) throw new FormatException($"option '{text}': an optional value is written name[=<form>]");
            names = trimmed[..bracket];
            var inner = trimmed[(bracket + 1)..^1].TrimStart('=', ':');
            value = Form(inner, text);
            arity = OptionArity.Optional;
        }
        else if (space > 0)
        {
            names = trimmed[..space];
            value = Form(trimmed[(space + 1)..].Trim(), text);
            arity = OptionArity.Required;
        }
        else
        {
            names = trimmed;
        }
        var spellings = names.Split('|', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (spellings.Length == 0 || spellings.Any(n => !n.StartsWith('-') || n.Length < 2 || n.Any(char.IsWhiteSpace)))
            throw new FormatException($"option '{text}': each spelling starts with '-' (e.g. \"-s|--short\", \"--format <text>\")");
        return new OptionSpec(spellings, arity, value, trimmed);
    }

    private static ValueForm Form(string text, string whole)
    {
        if (!text.StartsWith('<') || !text.EndsWith('>'))
            throw new FormatException($"option '{whole}': the value is written <form>, e.g. <int>, <name>, <text>, <path:write>, <enum:a,b>");
        return ValueForm.Parse(text[1..^1]);
    }

    public override string ToString() => Text;
}

/// <summary>An option refused for a program whatever the allowlist says, and why (it runs, loads or reads something else).</summary>
public sealed record DeniedOption(IReadOnlyList<string> Names, string Why)
{
    public DeniedOption(string names, string why) : this(names.Split('|', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), why) { }
}
