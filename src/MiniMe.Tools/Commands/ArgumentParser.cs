namespace MiniMe.Tools.Commands;

public enum TokenKind
{
    Option,
    Operand,
    EndOfOptions,
}

/// <summary>
/// One parsed argument: an option (with its spec when known, its value, and whether the value took the
/// next argument), an operand, or "--". <see cref="Index"/> is the position in the argument list (after the program).
/// </summary>
public sealed record ArgumentToken(int Index, TokenKind Kind, string Raw, string? Name = null, string? Value = null, bool ValueIsNextArgument = false, OptionSpec? Spec = null)
{
    /// <summary>How many arguments the token spans (an option with a separate value spans two).</summary>
    public int Width => ValueIsNextArgument ? 2 : 1;
}

/// <summary>A refusal found while parsing (a response file, a '/' option, an attached value on a flag, a missing value).</summary>
public sealed class ArgumentParseException(string message) : Exception(message);

/// <summary>
/// Splits arguments into options and operands the way the program would, given the options it knows:
/// this is what makes the allow-list of options hold against other spellings of the same option.
/// Unknown options come back with no spec (the policy refuses them).
/// </summary>
public static class ArgumentParser
{
    /// <param name="arguments">The arguments after the program.</param>
    /// <param name="start">Where to start.</param>
    /// <param name="known">The options known at this position (allowed ones and denied ones, for messages).</param>
    /// <param name="stopAtOperand">Stop after the first operand (it names the subcommand).</param>
    public static List<ArgumentToken> Parse(OptionStyle style, IReadOnlyList<string> arguments, int start, IReadOnlyList<OptionSpec> known, bool stopAtOperand)
    {
        var tokens = new List<ArgumentToken>();
        var optionsEnded = false;
        for (var i = start; i < arguments.Count; i++)
        {
            var a = arguments[i];
            ArgumentToken token;
            if (optionsEnded)
                token = new ArgumentToken(i, TokenKind.Operand, a);
            else if (a == "--")
            {
                token = new ArgumentToken(i, TokenKind.EndOfOptions, a);
                optionsEnded = true;
            }
            else if (style == OptionStyle.MsBuild)
                token = ParseMsBuild(arguments, i, known);
            else
                token = ParseGnu(arguments, i, known);
            tokens.Add(token);
            i += token.Width - 1;
            if (stopAtOperand && token.Kind == TokenKind.Operand) break;
        }
        return tokens;
    }

    private static ArgumentToken ParseGnu(IReadOnlyList<string> arguments, int i, IReadOnlyList<OptionSpec> known)
    {
        var a = arguments[i];
        if (a.Length < 2 || a[0] != '-') return new ArgumentToken(i, TokenKind.Operand, a);
        var equals = a.IndexOf('=', StringComparison.Ordinal);
        var name = equals > 0 ? a[..equals] : a;
        var attached = equals > 0 ? a[(equals + 1)..] : null;
        // An exact spelling first: --long, or a single-dash long option such as find's -name.
        var spec = known.FirstOrDefault(s => s.Names.Contains(name, StringComparer.Ordinal));
        if (spec is not null) return WithValue(arguments, i, name, attached, spec);
        if (a.StartsWith("--", StringComparison.Ordinal)) return new ArgumentToken(i, TokenKind.Option, a, name, attached);
        // git log -5: a number as an option, when the program takes one.
        if (a.Skip(1).All(char.IsAsciiDigit) && known.FirstOrDefault(s => s.Names.Contains(NumberOption, StringComparer.Ordinal)) is { } number)
            return new ArgumentToken(i, TokenKind.Option, a, NumberOption, a[1..], Spec: number);
        // A short option: with an attached value (-n5, -uno) or alone, or a cluster of flags (-sb).
        var first = "-" + a[1];
        var firstSpec = known.FirstOrDefault(s => s.Names.Contains(first, StringComparer.Ordinal));
        var rest = a.Length > 2 ? a[2..] : null;
        if (firstSpec is null) return new ArgumentToken(i, TokenKind.Option, a, first, rest);
        if (firstSpec.Arity != OptionArity.None || rest is null) return WithValue(arguments, i, first, rest, firstSpec);
        foreach (var c in rest)
        {
            var flag = "-" + c;
            var flagSpec = known.FirstOrDefault(s => s.Names.Contains(flag, StringComparer.Ordinal));
            if (flagSpec is null) return new ArgumentToken(i, TokenKind.Option, a, flag, null);
            if (flagSpec.Arity != OptionArity.None)
                throw new ArgumentParseException($"'{a}': {flagSpec.Display} takes a value, so give it on its own");
        }
        return new ArgumentToken(i, TokenKind.Option, a, a, null, Spec: ClusterSpec(a));
    }

    /// <summary>The spelling of "a number as an option" in a profile (git log -5).</summary>
    public const string NumberOption = "-N";

    /// <summary>A cluster of known flags (-sb) is one token; its spec is a synthetic flag so the policy sees it as allowed.</summary>
    private static OptionSpec ClusterSpec(string raw) => new([raw], OptionArity.None, null, raw);

    private static ArgumentToken ParseMsBuild(IReadOnlyList<string> arguments, int i, IReadOnlyList<OptionSpec> known)
    {
        var a = arguments[i];
        if (a.StartsWith('@'))
            throw new ArgumentParseException($"'{a}' is a response file: the program would read more arguments from it, unchecked");
        if (a.StartsWith('/'))
            throw new ArgumentParseException($"'{a}' starts with '/', which dotnet and MSBuild read as a switch; write options with '-' and give paths relative to the root");
        if (a.Length < 2 || a[0] != '-') return new ArgumentToken(i, TokenKind.Operand, a);
        var body = a.TrimStart('-');
        var separator = body.IndexOfAny([':', '=']);
        var name = (separator >= 0 ? body[..separator] : body).ToLowerInvariant();
        var attached = separator >= 0 ? body[(separator + 1)..] : null;
        var spec = known.FirstOrDefault(s => s.Names.Any(n => Normalize(n) == name));
        if (spec is null) return new ArgumentToken(i, TokenKind.Option, a, "-" + name, attached);
        return WithValue(arguments, i, "-" + name, attached, spec);
    }

    /// <summary>An MSBuild-style option name without its dashes, in lower case.</summary>
    public static string Normalize(string name) => name.TrimStart('-', '/').ToLowerInvariant();

    private static ArgumentToken WithValue(IReadOnlyList<string> arguments, int i, string name, string? attached, OptionSpec spec)
    {
        var a = arguments[i];
        switch (spec.Arity)
        {
            case OptionArity.None:
                if (attached is not null)
                    throw new ArgumentParseException($"'{a}': {spec.Display} takes no value");
                return new ArgumentToken(i, TokenKind.Option, a, name, null, Spec: spec);
            case OptionArity.Optional:
                return new ArgumentToken(i, TokenKind.Option, a, name, attached, Spec: spec);
            default:
                if (attached is not null) return new ArgumentToken(i, TokenKind.Option, a, name, attached, Spec: spec);
                if (i + 1 >= arguments.Count)
                    throw new ArgumentParseException($"'{a}': {spec.Display} needs a value");
                return new ArgumentToken(i, TokenKind.Option, a, name, arguments[i + 1], ValueIsNextArgument: true, Spec: spec);
        }
    }
}
