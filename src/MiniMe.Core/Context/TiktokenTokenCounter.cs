using System.Collections.Concurrent;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using Microsoft.ML.Tokenizers;

namespace MiniMe.Context;

/// <summary>
/// Counts tokens with the o200k_base tiktoken encoding (GPT-4o family). The tokenizer is loaded once, lazily.
/// A text is counted paragraph by paragraph (<see cref="Segments"/>), and each paragraph's count is kept
/// by content (a 128-bit XxHash of its characters), so the context block, the system prompt and the
/// earlier agents' JSON that every model call of a run repeats are tokenized once, not before each call.
/// The counts are exact: a paragraph break is always a boundary of the tokenizer's pre-tokenization, so
/// the sum over paragraphs is the count of the whole text.
/// </summary>
public sealed class TiktokenTokenCounter : ITokenCounter
{
    /// <summary>Paragraph counts kept by default: two generations of this many entries each.</summary>
    public const int DefaultCacheCapacity = 4096;

    private const string Encoding = "o200k_base";

    private readonly Lazy<Tokenizer> _tokenizer =
        new(() => TiktokenTokenizer.CreateForEncoding(Encoding), LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly int _capacity;
    private readonly Lock _rotate = new();

    // Two generations: look-ups hit either; new counts go to the current one, and when it is full it
    // becomes the previous one (the older previous is dropped). At most 2 x capacity entries are held,
    // and a paragraph in use is carried over to the current generation when it is hit in the previous.
    private ConcurrentDictionary<UInt128, int> _current = new();
    private ConcurrentDictionary<UInt128, int> _previous = new();

    /// <param name="cacheCapacity">Paragraph counts per cache generation; 0 counts everything anew.</param>
    public TiktokenTokenCounter(int cacheCapacity = DefaultCacheCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(cacheCapacity);
        _capacity = cacheCapacity;
    }

    /// <inheritdoc />
    public string Name => Encoding;

    /// <summary>Paragraph counts held now (at most twice the capacity).</summary>
    public int CachedEntries => _current.Count + _previous.Count;

    /// <inheritdoc />
    public int Count(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0) return 0;
        if (_capacity == 0) return _tokenizer.Value.CountTokens(text);
        var total = 0;
        var start = 0;
        foreach (var end in Segments(text))
        {
            total += CountCached(text.AsSpan(start, end - start));
            start = end;
        }
        return total;
    }

    /// <summary>
    /// The ends of the text's paragraphs: after a blank line ("\n\n") followed by a character that is
    /// neither white space nor '/', then the end of the text. o200k's pre-tokenizer never joins across
    /// such a point: no piece containing a line feed can go on with a character other than white space
    /// or '/', and the pattern has no look-behind, so the piece after starts afresh.
    /// </summary>
    internal static IEnumerable<int> Segments(string text)
    {
        for (var i = text.IndexOf("\n\n", StringComparison.Ordinal); i >= 0 && i + 2 < text.Length; i = text.IndexOf("\n\n", i + 1, StringComparison.Ordinal))
        {
            var next = text[i + 2];
            if (!char.IsWhiteSpace(next) && next != '/') yield return i + 2;
        }
        yield return text.Length;
    }

    private int CountCached(ReadOnlySpan<char> segment)
    {
        var key = XxHash128.HashToUInt128(MemoryMarshal.AsBytes(segment), seed: segment.Length);
        if (_current.TryGetValue(key, out var count)) return count;
        if (_previous.TryGetValue(key, out count))
        {
            Remember(key, count);
            return count;
        }
        count = _tokenizer.Value.CountTokens(segment);
        Remember(key, count);
        return count;
    }

    private void Remember(UInt128 key, int count)
    {
        var current = _current;
        if (current.Count >= _capacity)
        {
            lock (_rotate)
            {
                if (ReferenceEquals(current, _current))
                {
                    _previous = current;
                    _current = new ConcurrentDictionary<UInt128, int>();
                }
                current = _current;
            }
        }
        current[key] = count;
    }
}
