using System.ComponentModel;
using System.Globalization;
using System.Numerics;

namespace MiniMe.Configuration;

/// <summary>
/// Whether a configuration value (text from config.yaml or a MINIME_ variable) fits the setting it is
/// for, said in words rather than the binder's "Failed to convert ... to type 'System.Int32'". A value
/// this accepts binds without error; enum values must be one of the names (any case), not a number.
/// </summary>
public static class SettingValues
{
    /// <summary>The lower-case word config.yaml uses for <paramref name="value"/> (OpenAI → openai).</summary>
    public static string Name<TEnum>(TEnum value) where TEnum : struct, Enum => value.ToString().ToLowerInvariant();

    /// <summary>The allowed words for an enum setting, in declaration order.</summary>
    public static IReadOnlyList<string> Names(Type enumType)
    {
        ArgumentNullException.ThrowIfNull(enumType);
        return [.. Enum.GetNames(enumType).Select(n => n.ToLowerInvariant())];
    }

    /// <summary>"'opnai' is not one of none, openai, ollama, anthropic (did you mean openai?)"</summary>
    public static string NotOneOf(string value, IReadOnlyList<string> allowed)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(allowed);
        var suggestion = SettingKeys.Closest(value.Trim(), allowed);
        return $"'{value}' is not one of {string.Join(", ", allowed)}{(suggestion is null ? "" : $" (did you mean {suggestion}?)")}";
    }

    /// <summary>Null when <paramref name="value"/> fits <paramref name="type"/>, else what is wrong, without the setting's name.</summary>
    /// <param name="optional">The setting may be left empty (a nullable number, a string).</param>
    public static string? Check(Type type, string value, bool optional)
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentNullException.ThrowIfNull(value);
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string)) return null;
        var text = value.Trim();
        if (text.Length == 0) return optional ? null : $"is empty; give {Expected(type)}";
        if (type.IsEnum)
        {
            var names = Enum.GetNames(type);
            return names.Any(n => string.Equals(n, text, StringComparison.OrdinalIgnoreCase)) ? null : NotOneOf(value, Names(type));
        }
        if (type == typeof(bool)) return bool.TryParse(text, out _) ? null : $"'{value}' is not true or false";
        if (type == typeof(int)) return Whole<int>(value, text);
        if (type == typeof(long)) return Whole<long>(value, text);
        if (type == typeof(short)) return Whole<short>(value, text);
        if (type == typeof(byte)) return Whole<byte>(value, text);
        if (type == typeof(uint)) return Whole<uint>(value, text);
        if (type == typeof(ulong)) return Whole<ulong>(value, text);
        if (type == typeof(ushort)) return Whole<ushort>(value, text);
        if (type == typeof(sbyte)) return Whole<sbyte>(value, text);
        if (type == typeof(double)) return Real<double>(value, text);
        if (type == typeof(float)) return Real<float>(value, text);
        if (type == typeof(decimal)) return Real<decimal>(value, text);
        try
        {
            TypeDescriptor.GetConverter(type).ConvertFromInvariantString(text);
            return null;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or NotSupportedException or OverflowException or InvalidOperationException)
        {
            return $"'{value}' is not {Expected(type)}";
        }
    }

    private static string? Whole<T>(string value, string text) where T : struct, IBinaryInteger<T>, IMinMaxValue<T>
    {
        if (T.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out _)) return null;
        if (!BigInteger.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var big))
            return $"'{value}' is not a whole number";
        return big > BigInteger.CreateTruncating(T.MaxValue)
            ? $"'{value}' is too large (at most {T.MaxValue.ToString("N0", CultureInfo.InvariantCulture)})"
            : $"'{value}' is too small (at least {T.MinValue.ToString("N0", CultureInfo.InvariantCulture)})";
    }

    private static string? Real<T>(string value, string text) where T : struct, INumberBase<T>
    {
        if (!T.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
            return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d)
                ? $"'{value}' is out of range"
                : $"'{value}' is not a number";
        return T.IsFinite(number) ? null : $"'{value}' is not a number";
    }

    private static string Expected(Type type) =>
        type.IsEnum ? $"one of {string.Join(", ", Names(type))}"
        : type == typeof(bool) ? "true or false"
        : type == typeof(double) || type == typeof(float) || type == typeof(decimal) ? "a number"
        : type.IsPrimitive ? "a whole number"
        : "a valid value";
}
