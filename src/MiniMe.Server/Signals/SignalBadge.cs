using System.Globalization;
using System.Text;
using System.Xml;

namespace MiniMe.Server.Signals;

/// <summary>The badge's look: a card of labelled rows (the default), or one flat shields-style line.</summary>
public enum BadgeStyle
{
    Card,
    Flat,
}

/// <summary>
/// Renders a <see cref="Signal"/> as an SVG image. Deterministic: the same signal gives the same bytes
/// (the only date is the signal's as-of day; numbers in the invariant culture; no random ids). Every
/// text goes through <see cref="XmlWriter"/>, so it is escaped; characters XML cannot hold are dropped.
/// The layout is computed from the texts' widths with a fixed per-character table (Verdana-like at
/// 11 px), so nothing depends on the fonts installed where it is rendered.
/// </summary>
public static class SignalBadge
{
    public const string SvgNamespace = "http://www.w3.org/2000/svg";
    public const string ContentType = "image/svg+xml";

    private const string Font = "Verdana,DejaVu Sans,Geneva,sans-serif";
    private const int MaxTextChars = 32;

    /// <summary>Parses --style / ?style=: card or flat (case-insensitive); null or empty: card.</summary>
    public static BadgeStyle ParseStyle(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        null or "" or "card" => BadgeStyle.Card,
        "flat" => BadgeStyle.Flat,
        _ => throw new InvalidInputException($"Badge style '{text}' is not one of card, flat."),
    };

    /// <summary>The SVG document, UTF-8 without a byte order mark.</summary>
    public static byte[] Render(Signal signal, BadgeStyle style = BadgeStyle.Card)
    {
        ArgumentNullException.ThrowIfNull(signal);
        using var stream = new MemoryStream();
        var settings = new XmlWriterSettings
        {
            Encoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false),
            Indent = true,
            IndentChars = "  ",
            NewLineChars = "\n",
            NewLineHandling = NewLineHandling.Replace,
        };
        using (var xml = XmlWriter.Create(stream, settings))
        {
            xml.WriteStartDocument();
            if (style == BadgeStyle.Flat) Flat(xml, signal);
            else Card(xml, signal);
            xml.WriteEndDocument();
        }
        stream.WriteByte((byte)'\n');
        return stream.ToArray();
    }

    /// <summary>The rows of the card: label and value, in order.</summary>
    public static IReadOnlyList<(string Label, string Value)> Rows(Signal signal)
    {
        ArgumentNullException.ThrowIfNull(signal);
        var domains = signal.TopDomains.Count == 0
            ? "none yet"
            : string.Join(" · ", signal.TopDomains.Take(3).Select(d => $"{Clip(d.Domain)} ({N(d.Chunks)})"));
        var goals = signal.Goals;
        var goalText = $"{N(goals.Active)} active · {N(goals.Done)} done"
            + (goals.MeanProgress is { } mean ? $" · {mean.ToString("0", CultureInfo.InvariantCulture)}% mean progress" : "")
            + $" · {N(goals.Overdue)} overdue";
        var a = signal.Activity;
        return
        [
            ("memory", $"{N(signal.Documents)} {Plural(signal.Documents, "document")} · {N(signal.Chunks)} chunks · {N(signal.DomainCount)} {Plural(signal.DomainCount, "domain")}"),
            ("top domains", domains),
            ("facts", $"{N(signal.Facts)} {Plural(signal.Facts, "fact")} · {N(signal.FactCategories.Count)} {Plural(signal.FactCategories.Count, "category", "categories")}"),
            ("goals", goalText),
            ("activity", $"{N(a.Runs7Days)} runs in 7 days · {N(a.Runs30Days)} in 30 · {N(a.Imports30Days)} imports in 30"),
            ("coherence", $"{Score(signal.Coherence.Score)} over {N(signal.Coherence.Principles)} {Plural(signal.Coherence.Principles, "principle")}"
                + $" (consistency {Score(signal.Coherence.Consistency)}, overlap {Score(signal.Coherence.Overlap)})"),
        ];
    }

    private static void Card(XmlWriter xml, Signal signal)
    {
        const int pad = 10, rowHeight = 18, gap = 12, titleHeight = 24, barHeight = 6;
        var title = "MiniMe signal · " + Clip(signal.User);
        var footer = "as of " + signal.AsOf.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var rows = Rows(signal);
        var labelWidth = rows.Max(r => TextWidth(r.Label, bold: true));
        var valueWidth = rows.Max(r => TextWidth(r.Value));
        var valueX = pad + labelWidth + gap;
        var width = Math.Max(Math.Max(TextWidth(title, bold: true, size: 12), TextWidth(footer, size: 10)), valueX + valueWidth - pad) + 2 * pad;
        var rowsTop = pad + titleHeight;
        var barTop = rowsTop + rows.Count * rowHeight + 4;
        var height = barTop + barHeight + 8 + 14 + pad;
        var label = $"{title}: " + string.Join("; ", rows.Select(r => $"{r.Label} {r.Value}")) + "; " + footer;

        Open(xml, width, height, label);
        Element(xml, "rect", ("width", I(width)), ("height", I(height)), ("rx", "6"), ("fill", "#ffffff"), ("stroke", "#d0d7de"));
        Text(xml, pad, pad + 15, title, size: 12, bold: true, fill: "#24292f");
        for (var i = 0; i < rows.Count; i++)
        {
            var y = rowsTop + i * rowHeight + 13;
            Text(xml, pad, y, rows[i].Label, bold: true, fill: "#57606a");
            Text(xml, valueX, y, rows[i].Value, fill: "#24292f");
        }
        var barWidth = width - 2 * pad;
        var filled = (int)Math.Round(barWidth * Math.Clamp(signal.Coherence.Score, 0, 1), MidpointRounding.AwayFromZero);
        Element(xml, "rect", ("x", I(pad)), ("y", I(barTop)), ("width", I(barWidth)), ("height", I(barHeight)), ("rx", "3"), ("fill", "#eaeef2"));
        Element(xml, "rect", ("x", I(pad)), ("y", I(barTop)), ("width", I(filled)), ("height", I(barHeight)), ("rx", "3"), ("fill", Color(signal.Coherence.Score)));
        Text(xml, pad, barTop + barHeight + 8 + 10, footer, size: 10, fill: "#6e7781");
        xml.WriteEndElement();
    }

    private static void Flat(XmlWriter xml, Signal signal)
    {
        const int pad = 6, height = 20;
        var left = "minime · " + Clip(signal.User);
        var right = $"{N(signal.Documents)} {Plural(signal.Documents, "doc")} · {N(signal.Facts)} {Plural(signal.Facts, "fact")} · {N(signal.Goals.Active)} {Plural(signal.Goals.Active, "goal")} · coherence {Score(signal.Coherence.Score)}";
        var leftWidth = TextWidth(left) + 2 * pad;
        var rightWidth = TextWidth(right) + 2 * pad;
        var width = leftWidth + rightWidth;
        var asOf = signal.AsOf.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

        Open(xml, width, height, $"{left}: {right} (as of {asOf})");
        Element(xml, "rect", ("width", I(leftWidth)), ("height", I(height)), ("fill", "#555555"));
        Element(xml, "rect", ("x", I(leftWidth)), ("width", I(rightWidth)), ("height", I(height)), ("fill", Color(signal.Coherence.Score)));
        Text(xml, pad, 14, left, fill: "#ffffff");
        Text(xml, leftWidth + pad, 14, right, fill: "#ffffff");
        xml.WriteEndElement();
    }

    private static void Open(XmlWriter xml, int width, int height, string label)
    {
        xml.WriteStartElement("svg", SvgNamespace);
        xml.WriteAttributeString("width", I(width));
        xml.WriteAttributeString("height", I(height));
        xml.WriteAttributeString("viewBox", $"0 0 {I(width)} {I(height)}");
        xml.WriteAttributeString("role", "img");
        xml.WriteAttributeString("aria-label", Safe(label));
        xml.WriteStartElement("title", SvgNamespace);
        xml.WriteString(Safe(label));
        xml.WriteEndElement();
    }

    private static void Element(XmlWriter xml, string name, params (string Name, string Value)[] attributes)
    {
        xml.WriteStartElement(name, SvgNamespace);
        foreach (var (attribute, value) in attributes) xml.WriteAttributeString(attribute, value);
        xml.WriteEndElement();
    }

    private static void Text(XmlWriter xml, int x, int y, string text, int size = 11, bool bold = false, string fill = "#24292f")
    {
        xml.WriteStartElement("text", SvgNamespace);
        xml.WriteAttributeString("x", I(x));
        xml.WriteAttributeString("y", I(y));
        xml.WriteAttributeString("font-family", Font);
        xml.WriteAttributeString("font-size", I(size));
        if (bold) xml.WriteAttributeString("font-weight", "bold");
        xml.WriteAttributeString("fill", fill);
        xml.WriteString(Safe(text));
        xml.WriteEndElement();
    }

    /// <summary>
    /// The width of <paramref name="text"/> in whole pixels (rounded up), from a fixed table of
    /// character widths in tenths of a pixel at 11 px; bold adds a tenth; other sizes scale.
    /// </summary>
    public static int TextWidth(string text, bool bold = false, int size = 11)
    {
        ArgumentNullException.ThrowIfNull(text);
        long tenths = 0;
        foreach (var c in text) tenths += CharTenths(c);
        if (bold) tenths = tenths * 11 / 10;
        tenths = tenths * size / 11;
        return (int)((tenths + 9) / 10);
    }

    private static int CharTenths(char c) => c switch
    {
        ' ' or '.' or ',' or '·' or '\'' or '!' or '|' => 39,
        ':' or ';' => 46,
        'i' or 'l' => 31,
        'j' => 34,
        'f' or 'I' => 39,
        't' or '(' or ')' or '-' or '[' or ']' => 45,
        'r' => 47,
        'm' => 107,
        'w' => 90,
        'M' => 95,
        'W' => 109,
        '%' => 118,
        '@' or '&' => 95,
        >= '0' and <= '9' => 70,
        >= 'a' and <= 'z' => 64,
        >= 'A' and <= 'Z' => 76,
        _ => 75,
    };

    private static string Color(double score) => score switch
    {
        >= 0.5 => "#2da44e",
        >= 0.25 => "#bf8700",
        _ => "#cf6a2d",
    };

    private static string Score(double score) => score.ToString("0.00", CultureInfo.InvariantCulture);

    private static string N(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string I(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Plural(long count, string one, string? many = null) => count == 1 ? one : many ?? one + "s";

    /// <summary>At most <see cref="MaxTextChars"/> characters, an ellipsis marking a cut.</summary>
    private static string Clip(string text) => text.Length <= MaxTextChars ? text : text[..(MaxTextChars - 1)] + "…";

    /// <summary>The text without characters XML cannot carry (control characters, lone surrogates); escaping is the writer's.</summary>
    private static string Safe(string text)
    {
        var builder = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                builder.Append(c).Append(text[i + 1]);
                i++;
            }
            else if (XmlConvert.IsXmlChar(c) && (c >= ' ' || c == '\t'))
            {
                builder.Append(c);
            }
        }
        return builder.ToString();
    }
}
