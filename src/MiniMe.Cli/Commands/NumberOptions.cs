using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace MiniMe.Cli.Commands;

/// <summary>
/// Numeric options that parse and range-check their own value, so a bad one is a usage error (exit 2)
/// that says what is expected — "--budget must be a whole number from 100 to 2,147,483,647 (got
/// '99999999999')" — instead of System.CommandLine's "as expected type 'System.Nullable`1[System.Int32]'".
/// </summary>
internal static class NumberOptions
{
    /// <summary>A whole number from <paramref name="min"/> to <paramref name="max"/>, <paramref name="defaultValue"/> when absent.</summary>
    public static Option<int> Whole(string name, string description, int min, int max, int defaultValue, params string[] aliases) =>
        new(name, aliases)
        {
            Description = description,
            DefaultValueFactory = _ => defaultValue,
            CustomParser = result => ParseWhole(result, min, max) ?? defaultValue,
        };

    /// <summary>A whole number from <paramref name="min"/> to <paramref name="max"/>, null when absent (the command picks a default).</summary>
    public static Option<int?> OptionalWhole(string name, string description, int min, int max, params string[] aliases) =>
        new(name, aliases)
        {
            Description = description,
            CustomParser = result => ParseWhole(result, min, max),
        };

    /// <summary>A number (decimals allowed) from <paramref name="min"/> to <paramref name="max"/>.</summary>
    public static Option<double> Real(string name, string description, double min, double max, double defaultValue, params string[] aliases) =>
        new(name, aliases)
        {
            Description = description,
            DefaultValueFactory = _ => defaultValue,
            CustomParser = result =>
            {
                var text = Token(result);
                if (text is not null && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) &&
                    double.IsFinite(value) && value >= min && value <= max)
                    return value;
                result.AddError($"{OptionName(result)} must be a number from {Format(min)} to {Format(max)}{Got(text)}.");
                return defaultValue;
            },
        };

    private static int? ParseWhole(ArgumentResult result, int min, int max)
    {
        var text = Token(result);
        if (text is not null && int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
            return value;
        result.AddError($"{OptionName(result)} must be a whole number from {min.ToString("N0", CultureInfo.InvariantCulture)} to {max.ToString("N0", CultureInfo.InvariantCulture)}{Got(text)}.");
        return null;
    }

    private static string? Token(ArgumentResult result) => result.Tokens.Count == 1 ? result.Tokens[0].Value.Trim() : null;

    private static string OptionName(ArgumentResult result) =>
        result.Parent is OptionResult { IdentifierToken.Value: { Length: > 0 } typed } ? typed
        : result.Parent is OptionResult option ? option.Option.Name
        : result.Argument.Name;

    private static string Got(string? text) => text is null ? "" : $" (got '{text}')";

    private static string Format(double value) => value.ToString("#,0.###", CultureInfo.InvariantCulture);
}
