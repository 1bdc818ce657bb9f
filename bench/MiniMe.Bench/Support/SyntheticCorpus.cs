using System.Text;

namespace MiniMe.Bench.Support;

/// <summary>
/// Deterministic engineering-flavoured text: a Zipf-distributed vocabulary of pseudo-words mixed with
/// real terms, so FTS posting lists have realistic skew (a few very common words, a long tail).
/// </summary>
public sealed class SyntheticCorpus
{
    private static readonly string[] Syllables = ["ka", "lo", "mi", "ter", "on", "ax", "bel", "cor", "dun", "fi", "gra", "hes", "jo", "qua", "rin", "sto", "ul", "vek", "wy", "zen"];
    private static readonly string[] RealTerms = ["retry", "backoff", "cache", "schema", "migration", "latency", "queue", "index", "token", "deploy", "rollback", "timeout", "shard", "replica", "lock", "cursor", "payload", "handler", "router", "buffer"];

    private readonly string[] _vocabulary;
    private readonly double[] _cumulative;
    private readonly Random _random;

    public SyntheticCorpus(int vocabularySize = 30_000, int seed = 42)
    {
        _random = new Random(seed);
        _vocabulary = new string[vocabularySize];
        for (var i = 0; i < vocabularySize; i++)
            _vocabulary[i] = i < RealTerms.Length ? RealTerms[i] : PseudoWord(i);
        // Zipf with s = 1.05.
        _cumulative = new double[vocabularySize];
        var total = 0.0;
        for (var i = 0; i < vocabularySize; i++) _cumulative[i] = total += 1.0 / Math.Pow(i + 1, 1.05);
        for (var i = 0; i < vocabularySize; i++) _cumulative[i] /= total;
    }

    public string Word()
    {
        var index = Array.BinarySearch(_cumulative, _random.NextDouble());
        return _vocabulary[index < 0 ? ~index : index];
    }

    /// <summary>A paragraph of about <paramref name="words"/> words, sometimes with a code identifier.</summary>
    public string Paragraph(int words)
    {
        var builder = new StringBuilder(words * 7);
        for (var i = 0; i < words; i++)
        {
            if (i > 0) builder.Append(' ');
            if (_random.Next(40) == 0)
                builder.Append(Capitalize(Word())).Append(Capitalize(Word())).Append("Async");
            else
                builder.Append(Word());
        }
        return builder.Append('.').ToString();
    }

    /// <summary>A query of mid-frequency words (the kind a user types), 2-4 words.</summary>
    public string Query()
    {
        var count = _random.Next(2, 5);
        return string.Join(' ', Enumerable.Range(0, count).Select(_ => _vocabulary[_random.Next(20, 3000)]));
    }

    private string PseudoWord(int i)
    {
        var length = 2 + (i % 3);
        var builder = new StringBuilder();
        var n = i;
        for (var k = 0; k < length; k++)
        {
            builder.Append(Syllables[n % Syllables.Length]);
            n = n / Syllables.Length + k * 7 + 3;
        }
        return builder.ToString();
    }

    private static string Capitalize(string word) => char.ToUpperInvariant(word[0]) + word[1..];
}
