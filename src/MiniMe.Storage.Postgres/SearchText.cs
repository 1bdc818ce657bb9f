using System.Collections.Frozen;
using System.Globalization;
using System.Text;

namespace MiniMe.Storage.Postgres;

/// <summary>
/// Reduces text to lower-case words separated by single spaces before PostgreSQL's parser sees it,
/// the way SQLite's unicode61 tokenizer splits it: letters and digits are word characters, everything
/// else separates, Latin diacritics are removed. So "deployment.md" indexes as "deployment md" rather
/// than one host-name token, and the query side (built from the same function) can never carry syntax.
/// </summary>
internal static class SearchText
{
    // Latin letters whose canonical decomposition is an ASCII letter plus combining marks (U+00C0-U+024F).
    // A table, because string.Normalize is unavailable under InvariantGlobalization.
    private const string Accented = "ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöùúûüýÿĀāĂăĄąĆćĈĉĊċČčĎďĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĨĩĪīĬĭĮįİĴĵĶķĹĺĻļĽľŃńŅņŇňŌōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽžƠơƯưǍǎǏǐǑǒǓǔǕǖǗǘǙǚǛǜǞǟǠǡǦǧǨǩǪǫǬǭǰǴǵǸǹǺǻȀȁȂȃȄȅȆȇȈȉȊȋȌȍȎȏȐȑȒȓȔȕȖȗȘșȚțȞȟȦȧȨȩȪȫȬȭȮȯȰȱȲȳ";
    private const string Plain = "aaaaaaceeeeiiiinooooouuuuyaaaaaaceeeeiiiinooooouuuuyyaaaaaaccccccccddeeeeeeeeeegggggggghhiiiiiiiiijjkkllllllnnnnnnoooooorrrrrrssssssssttttuuuuuuuuuuuuwwyyyzzzzzzoouuaaiioouuuuuuuuuuaaaaggkkoooojggnnaaaaaaeeeeiiiioooorrrruuuusstthhaaeeooooooooyy";

    private static readonly FrozenDictionary<char, char> Folding =
        Accented.Zip(Plain).ToFrozenDictionary(p => p.First, p => p.Second);

    public static string Normalize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var builder = new StringBuilder(text.Length);
        var pendingSpace = false;
        foreach (var rune in text.EnumerateRunes())
        {
            var category = Rune.GetUnicodeCategory(rune);
            if (category is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark)
                continue;
            if (!Rune.IsLetterOrDigit(rune))
            {
                pendingSpace = true;
                continue;
            }
            if (pendingSpace && builder.Length > 0) builder.Append(' ');
            pendingSpace = false;
            if (rune.IsBmp && Folding.TryGetValue((char)rune.Value, out var plain))
                builder.Append(plain);
            else
                builder.Append(Rune.ToLowerInvariant(rune).ToString());
        }
        return builder.ToString();
    }

    /// <summary>The words of <see cref="Normalize"/>, for building queries.</summary>
    public static string[] Words(string text) => Normalize(text).Split(' ', StringSplitOptions.RemoveEmptyEntries);
}
