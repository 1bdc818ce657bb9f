using System.Text.RegularExpressions;

namespace MiniMe.Hosting.Users;

/// <summary>User ids and key names: safe as a folder name and in a URL (no separators, no leading dot).</summary>
public static partial class UserIds
{
    public static bool IsValid(string? value) => value is not null && Pattern().IsMatch(value);

    public static string Require(string? value, string what)
    {
        if (!IsValid(value))
            throw new InvalidInputException($"{what} '{value}' is not valid: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit.");
        return value!;
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex Pattern();
}
