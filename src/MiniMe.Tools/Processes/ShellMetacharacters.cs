namespace MiniMe.Tools.Processes;

/// <summary>
/// Characters a shell would interpret. Commands never run through a shell, so these are inert, but
/// an argument carrying them is almost always an injection attempt (or a program that hands its
/// arguments to a shell later), so they are refused unless a rule opts in.
/// </summary>
public static class ShellMetacharacters
{
    private static readonly char[] Set = [';', '&', '|', '$', '`', '<', '>', '(', ')', '{', '}', '[', ']', '*', '?', '\'', '"', '\\'];

    /// <summary>The first metacharacter in <paramref name="argument"/>, described, or null.</summary>
    public static string? Find(string argument)
    {
        ArgumentNullException.ThrowIfNull(argument);
        foreach (var c in argument)
        {
            if (c == '\n') return "a newline";
            if (c == '\r') return "a carriage return";
            if (c == '\0') return "a NUL character";
            if (char.IsControl(c)) return $"control character U+{(int)c:X4}";
            if (Array.IndexOf(Set, c) >= 0) return $"'{c}'";
        }
        if (argument.StartsWith('~')) return "a leading '~'";
        return null;
    }
}
