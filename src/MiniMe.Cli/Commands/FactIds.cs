using System.Globalization;

namespace MiniMe.Cli.Commands;

/// <summary>Fact and review ids as typed: "12" or "#12".</summary>
internal static class FactIds
{
    public static long Parse(string? text, string what = "fact")
    {
        var value = (text ?? "").Trim().TrimStart('#');
        if (long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0) return id;
        throw new InvalidInputException($"'{text}' is not a {what} id; ids are positive numbers such as 12 (see `minime facts list`).");
    }
}
