using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace MiniMe.Tests.Embeddings;

/// <summary>
/// A plain port of Hugging Face's BertTokenizer (BasicTokenizer with do_lower_case, then WordpieceTokenizer),
/// written step by step as the Python does it, on lists of code points, to check the product tokenizer against.
/// NFD comes from ICU (libicuuc, loaded directly because the tests run with InvariantGlobalization).
/// </summary>
internal sealed class ReferenceBertTokenizer
{
    private readonly Dictionary<string, int> _vocab = new(StringComparer.Ordinal);

    public ReferenceBertTokenizer(string vocabPath)
    {
        var index = 0;
        foreach (var line in File.ReadAllLines(vocabPath))
        {
            _vocab[line.TrimEnd('\n', '\r')] = index++;
        }
    }

    public List<string> Tokenize(string text)
    {
        var tokens = new List<string>();
        foreach (var basic in BasicTokenize(text))
        {
            tokens.AddRange(WordPiece(basic));
        }

        return tokens;
    }

    public List<int> Ids(string text) => [.. Tokenize(text).Select(t => _vocab[t])];

    // BasicTokenizer.tokenize
    private static List<string> BasicTokenize(string text)
    {
        text = CleanText(text);
        text = TokenizeChineseChars(text);
        var split = new List<string>();
        foreach (var token in WhitespaceTokenize(text))
        {
            var t = Lower(token);
            t = RunStripAccents(t);
            split.AddRange(RunSplitOnPunc(t));
        }

        return WhitespaceTokenize(string.Join(" ", split));
    }

    private static string CleanText(string text)
    {
        var output = new StringBuilder();
        foreach (var ch in CodePoints(text))
        {
            if (ch == 0 || ch == 0xFFFD || IsControl(ch))
            {
                continue;
            }

            output.Append(IsWhitespace(ch) ? " " : char.ConvertFromUtf32(ch));
        }

        return output.ToString();
    }

    private static string TokenizeChineseChars(string text)
    {
        var output = new StringBuilder();
        foreach (var ch in CodePoints(text))
        {
            if (IsChineseChar(ch))
            {
                output.Append(' ').Append(char.ConvertFromUtf32(ch)).Append(' ');
            }
            else
            {
                output.Append(char.ConvertFromUtf32(ch));
            }
        }

        return output.ToString();
    }

    // Python's str.split(): runs of white space (here, after cleaning: space, Zs, Zl, Zp).
    private static List<string> WhitespaceTokenize(string text)
    {
        var tokens = new List<string>();
        var current = new StringBuilder();
        foreach (var ch in CodePoints(text))
        {
            var category = CharUnicodeInfo.GetUnicodeCategory(ch);
            if (ch is ' ' or '\t' or '\n' or '\r' || category is UnicodeCategory.SpaceSeparator or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator)
            {
                if (current.Length > 0)
                {
                    tokens.Add(current.ToString());
                    current.Clear();
                }
            }
            else
            {
                current.Append(char.ConvertFromUtf32(ch));
            }
        }

        if (current.Length > 0)
        {
            tokens.Add(current.ToString());
        }

        return tokens;
    }

    // Python's str.lower(), for the one unconditional multi-character mapping: İ -> i + combining dot above.
    private static string Lower(string token)
    {
        var output = new StringBuilder();
        foreach (var ch in CodePoints(token))
        {
            if (ch == 0x130)
            {
                output.Append("i\u0307");
            }
            else
            {
                output.Append(char.ConvertFromUtf32(ch).ToLowerInvariant());
            }
        }

        return output.ToString();
    }

    private static string RunStripAccents(string text)
    {
        var nfd = Icu.Nfd(text);
        var output = new StringBuilder();
        foreach (var ch in CodePoints(nfd))
        {
            if (CharUnicodeInfo.GetUnicodeCategory(ch) == UnicodeCategory.NonSpacingMark)
            {
                continue;
            }

            output.Append(char.ConvertFromUtf32(ch));
        }

        return output.ToString();
    }

    private static List<string> RunSplitOnPunc(string text)
    {
        var chars = CodePoints(text);
        var output = new List<List<int>>();
        var startNewWord = true;
        foreach (var ch in chars)
        {
            if (IsPunctuation(ch))
            {
                output.Add([ch]);
                startNewWord = true;
            }
            else
            {
                if (startNewWord)
                {
                    output.Add([]);
                }

                startNewWord = false;
                output[^1].Add(ch);
            }
        }

        return [.. output.Select(cps => string.Concat(cps.Select(char.ConvertFromUtf32)))];
    }

    // WordpieceTokenizer.tokenize (max_input_chars_per_word = 100)
    private List<string> WordPiece(string token)
    {
        var chars = CodePoints(token);
        if (chars.Count > 100)
        {
            return ["[UNK]"];
        }

        var subTokens = new List<string>();
        var start = 0;
        while (start < chars.Count)
        {
            var end = chars.Count;
            string? current = null;
            while (start < end)
            {
                var substr = string.Concat(chars.Skip(start).Take(end - start).Select(char.ConvertFromUtf32));
                if (start > 0)
                {
                    substr = "##" + substr;
                }

                if (_vocab.ContainsKey(substr))
                {
                    current = substr;
                    break;
                }

                end--;
            }

            if (current is null)
            {
                return ["[UNK]"];
            }

            subTokens.Add(current);
            start = end;
        }

        return subTokens;
    }

    private static bool IsWhitespace(int ch) =>
        ch is ' ' or '\t' or '\n' or '\r' || CharUnicodeInfo.GetUnicodeCategory(ch) == UnicodeCategory.SpaceSeparator;

    private static bool IsControl(int ch)
    {
        if (ch is '\t' or '\n' or '\r')
        {
            return false;
        }

        // unicodedata.category(char).startswith("C")
        return CharUnicodeInfo.GetUnicodeCategory(ch) is UnicodeCategory.Control or UnicodeCategory.Format
            or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned;
    }

    private static bool IsPunctuation(int cp)
    {
        if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126))
        {
            return true;
        }

        // unicodedata.category(char).startswith("P")
        return CharUnicodeInfo.GetUnicodeCategory(cp) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
            or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;
    }

    private static bool IsChineseChar(int cp) =>
        (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF)
        || (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF)
        || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);

    private static List<int> CodePoints(string text)
    {
        var result = new List<int>(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                result.Add(char.ConvertToUtf32(text[i], text[i + 1]));
                i++;
            }
            else
            {
                result.Add(text[i]);
            }
        }

        return result;
    }

    /// <summary>ICU's NFD, called directly (string.Normalize is a no-op under InvariantGlobalization).</summary>
    internal static class Icu
    {
        private static readonly Lazy<(nint Normalizer, NormalizeFn Normalize)?> Api = new(Load);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        private delegate nint GetInstanceFn(ref int status);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl, CharSet = CharSet.Unicode)]
        private delegate int NormalizeFn(nint normalizer, [In] char[] source, int length, [Out] char[] destination, int capacity, ref int status);

        public static bool Available => Api.Value is not null;

        public static string Nfd(string text)
        {
            var api = Api.Value ?? throw new InvalidOperationException("ICU (libicuuc) is not available on this machine");
            if (text.Length == 0)
            {
                return text;
            }

            var capacity = (text.Length * 4) + 16;
            var buffer = new char[capacity];
            var status = 0;
            var length = api.Normalize(api.Normalizer, text.ToCharArray(), text.Length, buffer, capacity, ref status);
            if (status > 0)
            {
                throw new InvalidOperationException($"unorm2_normalize failed with ICU status {status}");
            }

            return new string(buffer, 0, length);
        }

        private static (nint, NormalizeFn)? Load()
        {
            if (!OperatingSystem.IsLinux())
            {
                return null;
            }

            for (var version = 90; version >= 50; version--)
            {
                if (!NativeLibrary.TryLoad($"libicuuc.so.{version}", out var lib))
                {
                    continue;
                }

                if (NativeLibrary.TryGetExport(lib, $"unorm2_getNFDInstance_{version}", out var getNfd)
                    && NativeLibrary.TryGetExport(lib, $"unorm2_normalize_{version}", out var normalize))
                {
                    var status = 0;
                    var normalizer = Marshal.GetDelegateForFunctionPointer<GetInstanceFn>(getNfd)(ref status);
                    if (status <= 0 && normalizer != 0)
                    {
                        return (normalizer, Marshal.GetDelegateForFunctionPointer<NormalizeFn>(normalize));
                    }
                }
            }

            return null;
        }
    }
}
