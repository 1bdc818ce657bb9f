using System.Globalization;
using System.Text;

namespace MiniMe.Embeddings;

/// <summary>
/// BERT's reference tokenization (Hugging Face BasicTokenizer + WordPiece, as all-MiniLM-L6-v2 and
/// snowflake-arctic-embed-xs were trained with): drop NUL, U+FFFD and control characters, turn white space
/// into spaces, put spaces around CJK ideographs, split on white space, lower-case, NFD and drop
/// non-spacing marks, split on punctuation (ASCII 33–47, 58–64, 91–96, 123–126 and Unicode P*), then
/// greedy longest-match WordPiece with "##" continuations; a word over 100 code points, or one WordPiece
/// cannot cover, is [UNK].
/// </summary>
/// <remarks>
/// Written here rather than taken from Microsoft.ML.Tokenizers' BertTokenizer because that one, with any
/// combination of its options (ApplyBasicTokenization, RemoveNonSpacingMarks, SplitOnSpecialTokens,
/// IndividuallyTokenizeCjk), does not match: its pre-tokenizer drops symbol characters that are not
/// Unicode punctuation (= + &lt; &gt; $ ^ | ~ ± ≥ ° ×), so "a=b+c" loses its operators, and it strips accents
/// with <see cref="string.Normalize(NormalizationForm)"/>, a no-op under InvariantGlobalization (which
/// MiniMe uses), so "café" became [UNK]. Lower-casing is per code point (Rust tokenizers' behaviour:
/// Σ is always σ); U+0130 İ becomes i as Python's full mapping plus accent stripping gives.
/// Thread-safe: the vocabulary is read-only after loading.
/// </remarks>
internal sealed class BertUncasedTokenizer
{
    private const int MaxWordCodePoints = 100;

    private readonly Dictionary<string, int> _start;
    private readonly Dictionary<string, int> _continuation;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _startLookup;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _continuationLookup;
    private readonly int _maxPieceChars;
    private readonly bool _lowerCase;

    private BertUncasedTokenizer(Dictionary<string, int> vocab, bool lowerCase)
    {
        _lowerCase = lowerCase;
        _start = new Dictionary<string, int>(vocab.Count, StringComparer.Ordinal);
        _continuation = new Dictionary<string, int>(vocab.Count / 4, StringComparer.Ordinal);
        foreach (var (token, id) in vocab)
        {
            if (token.StartsWith("##", StringComparison.Ordinal) && token.Length > 2)
            {
                _continuation[token[2..]] = id;
                _maxPieceChars = Math.Max(_maxPieceChars, token.Length - 2);
            }

            _start[token] = id;
            _maxPieceChars = Math.Max(_maxPieceChars, token.Length);
        }

        _startLookup = _start.GetAlternateLookup<ReadOnlySpan<char>>();
        _continuationLookup = _continuation.GetAlternateLookup<ReadOnlySpan<char>>();
        UnknownId = Required(vocab, "[UNK]");
        ClassificationId = Required(vocab, "[CLS]");
        SeparatorId = Required(vocab, "[SEP]");
        PaddingId = Required(vocab, "[PAD]");
    }

    public int UnknownId { get; }

    public int ClassificationId { get; }

    public int SeparatorId { get; }

    public int PaddingId { get; }

    public int VocabularySize => _start.Count;

    /// <summary>Reads a vocab.txt (one token a line; the id is the line number).</summary>
    public static BertUncasedTokenizer Load(string vocabPath, bool lowerCase = true)
    {
        var vocab = new Dictionary<string, int>(32_000, StringComparer.Ordinal);
        var id = 0;
        foreach (var line in File.ReadLines(vocabPath))
        {
            // Hugging Face's load_vocab: rstrip("\n"), a later duplicate wins.
            vocab[line.TrimEnd('\r')] = id++;
        }

        return new BertUncasedTokenizer(vocab, lowerCase);
    }

    /// <summary>Word-piece ids of <paramref name="text"/>, without [CLS]/[SEP], appended to <paramref name="ids"/>.</summary>
    public void Encode(string text, List<int> ids)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(ids);
        var word = new StringBuilder(64);
        var scratch = new StringBuilder(8);
        foreach (var rune in text.EnumerateRunes())
        {
            var cp = rune.Value;
            if (cp is 0 or 0xFFFD)
            {
                continue;
            }

            if (IsWhitespace(rune))
            {
                Flush(word, ids);
                continue;
            }

            if (IsControl(rune))
            {
                continue;
            }

            scratch.Clear();
            var lowered = _lowerCase ? Lower(rune) : rune;
            if (_lowerCase)
            {
                AccentTable.Append(lowered, scratch);
            }
            else
            {
                AppendRune(scratch, lowered);
            }

            if (IsCjk(cp))
            {
                Flush(word, ids);
                word.Append(scratch);
                Flush(word, ids);
                continue;
            }

            for (var i = 0; i < scratch.Length; i++)
            {
                var c = scratch[i];
                if (char.IsHighSurrogate(c) && i + 1 < scratch.Length)
                {
                    // Supplementary characters: punctuation only by category.
                    var pair = new Rune(c, scratch[i + 1]);
                    i++;
                    if (IsPunctuation(pair))
                    {
                        Flush(word, ids);
                        AppendRune(word, pair);
                        Flush(word, ids);
                    }
                    else
                    {
                        AppendRune(word, pair);
                    }

                    continue;
                }

                if (IsPunctuation(new Rune(c)))
                {
                    Flush(word, ids);
                    word.Append(c);
                    Flush(word, ids);
                }
                else
                {
                    word.Append(c);
                }
            }
        }

        Flush(word, ids);
    }

    /// <summary>Word-piece ids of <paramref name="text"/>, without [CLS]/[SEP].</summary>
    public List<int> Encode(string text)
    {
        var ids = new List<int>();
        Encode(text, ids);
        return ids;
    }

    private void Flush(StringBuilder word, List<int> ids)
    {
        if (word.Length == 0)
        {
            return;
        }

        Span<char> stack = stackalloc char[256];
        var chars = word.Length <= stack.Length ? stack[..word.Length] : new char[word.Length];
        word.CopyTo(0, chars, chars.Length);
        word.Clear();
        WordPiece(chars, ids);
    }

    private void WordPiece(ReadOnlySpan<char> word, List<int> ids)
    {
        if (word.Length > MaxWordCodePoints && CountCodePoints(word) > MaxWordCodePoints)
        {
            ids.Add(UnknownId);
            return;
        }

        var mark = ids.Count;
        var start = 0;
        while (start < word.Length)
        {
            var lookup = start == 0 ? _startLookup : _continuationLookup;
            var end = Math.Min(word.Length, start + _maxPieceChars);
            var found = -1;
            for (; end > start; end--)
            {
                if (lookup.TryGetValue(word[start..end], out var id))
                {
                    found = id;
                    break;
                }
            }

            if (found < 0)
            {
                ids.RemoveRange(mark, ids.Count - mark);
                ids.Add(UnknownId);
                return;
            }

            ids.Add(found);
            start = end;
        }
    }

    private static int CountCodePoints(ReadOnlySpan<char> word)
    {
        var count = 0;
        for (var i = 0; i < word.Length; i++)
        {
            if (!(char.IsLowSurrogate(word[i]) && i > 0 && char.IsHighSurrogate(word[i - 1])))
            {
                count++;
            }
        }

        return count;
    }

    private static Rune Lower(Rune rune) => rune.Value switch
    {
        < 0x41 => rune,
        <= 0x5A => new Rune(rune.Value + 0x20),
        < 0x80 => rune,
        0x130 => new Rune('i'),
        _ => Rune.ToLowerInvariant(rune),
    };

    private static bool IsWhitespace(Rune rune) => rune.Value switch
    {
        ' ' or '\t' or '\n' or '\r' => true,
        < 0x80 => false,
        _ => Rune.GetUnicodeCategory(rune) is UnicodeCategory.SpaceSeparator or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator,
    };

    private static bool IsControl(Rune rune) => rune.Value switch
    {
        '\t' or '\n' or '\r' => false,
        < 0x20 or 0x7F => true,
        < 0x80 => false,
        _ => Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.OtherNotAssigned
            or UnicodeCategory.PrivateUse or UnicodeCategory.Surrogate,
    };

    private static bool IsPunctuation(Rune rune)
    {
        var cp = rune.Value;
        if (cp < 0x80)
        {
            return cp is (>= 33 and <= 47) or (>= 58 and <= 64) or (>= 91 and <= 96) or (>= 123 and <= 126);
        }

        return Rune.GetUnicodeCategory(rune) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
            or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;
    }

    private static bool IsCjk(int cp) =>
        cp is (>= 0x4E00 and <= 0x9FFF) or (>= 0x3400 and <= 0x4DBF) or (>= 0x20000 and <= 0x2A6DF) or (>= 0x2A700 and <= 0x2B73F)
            or (>= 0x2B740 and <= 0x2B81F) or (>= 0x2B820 and <= 0x2CEAF) or (>= 0xF900 and <= 0xFAFF) or (>= 0x2F800 and <= 0x2FA1F);

    private static void AppendRune(StringBuilder target, Rune rune)
    {
        Span<char> buffer = stackalloc char[2];
        var n = rune.EncodeToUtf16(buffer);
        target.Append(buffer[..n]);
    }

    private static int Required(Dictionary<string, int> vocab, string token) =>
        vocab.TryGetValue(token, out var id)
            ? id
            : throw new FormatException($"the vocabulary has no {token} token");
}
