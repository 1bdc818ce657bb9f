using System.Globalization;
using MiniMe.Context;
using MiniMe.Masks;
using MiniMe.Memory.Retrieval;
using MiniMe.Packs;

namespace MiniMe.Server.Packs;

/// <summary>Why a pack joined a run: the topics that matched and how (the task's words, or the task's domain).</summary>
public sealed record PackMatch(KnowledgePack Pack, IReadOnlyList<string> Topics, bool ByDomain);

/// <summary>A paragraph of a pack's documents and its score for the task.</summary>
public sealed record PackPassage(PackDocument Document, string? Heading, string Text, double Score);

/// <summary>
/// Picks the active packs that bear on a task and what of them goes into its context.
/// A pack matches when one of its topics occurs in the task as words, in order and next to each other,
/// compared lowercased and lightly stemmed (topic "connection pool" matches "Connection pooling is slow";
/// "postgres" does not match "postgresql"), or when a topic is the task's classified domain (not "general").
/// Its rules and facts join, then the paragraphs of its documents that share the most terms with the
/// task (BM25 over the pack's own paragraphs), all within <see cref="MaxCharsPerPack"/>.
/// </summary>
public static class PackSelector
{
    /// <summary>Text a pack adds to one run at most (rules first, then facts, then passages).</summary>
    public const int MaxCharsPerPack = 6000;

    /// <summary>Packs that join one run at most (the ones with the most matching topics).</summary>
    public const int MaxPacks = 4;

    /// <summary>Document paragraphs a pack adds at most.</summary>
    public const int MaxPassages = 3;

    private const double K1 = 1.2;
    private const double B = 0.75;

    public static IReadOnlyList<PackMatch> Match(IReadOnlyList<KnowledgePack> packs, string text, TaskProfile? profile)
    {
        ArgumentNullException.ThrowIfNull(packs);
        ArgumentNullException.ThrowIfNull(text);
        var words = Words(text);
        var domain = profile?.Domain is { Length: > 0 } d && !string.Equals(d, Domains.General, StringComparison.OrdinalIgnoreCase) ? d.ToLowerInvariant() : null;
        var matches = new List<(PackMatch Match, int Count)>();
        foreach (var pack in packs)
        {
            var byWords = pack.Topics.Where(t => ContainsPhrase(words, Words(t))).ToList();
            if (byWords.Count > 0)
                matches.Add((new PackMatch(pack, byWords, ByDomain: false), byWords.Count));
            else if (domain is not null && pack.Topics.Contains(domain, StringComparer.Ordinal))
                matches.Add((new PackMatch(pack, [domain], ByDomain: true), 0));
        }
        return [.. matches.OrderByDescending(m => m.Count).ThenBy(m => m.Match.Pack.Name, StringComparer.Ordinal).Take(MaxPacks).Select(m => m.Match)];
    }

    /// <summary>
    /// The context blocks of one matched pack; ids "pack:NAME@VERSION:KIND:N", the first one naming why it
    /// joined: "pack:NAME@VERSION:topic:vacuum+write-ahead-log" (the matching topics, spaces as '-') or
    /// "pack:NAME@VERSION:domain:data".
    /// </summary>
    public static IReadOnlyList<ContextBlock> Blocks(PackMatch match, string text)
    {
        ArgumentNullException.ThrowIfNull(match);
        var pack = match.Pack;
        var prefix = $"pack:{pack.Name}@{pack.Version}";
        var why = match.ByDomain ? $"the task's domain is {match.Topics[0]}" : $"the task mentions {string.Join(", ", match.Topics.Select(t => $"'{t}'"))}";
        var header = $"Knowledge pack {pack.Name} {pack.Version} ({why}){(pack.Description.Length > 0 ? ": " + pack.Description : ".")}";
        var blocks = new List<ContextBlock>
        {
            new($"{prefix}:{(match.ByDomain ? "domain" : "topic")}:{string.Join('+', match.Topics.Select(Slug))}", ContextBlockKind.Knowledge, header, 1.0),
        };
        var left = MaxCharsPerPack - header.Length;
        bool Add(string id, string body, double weight)
        {
            if (body.Length > left) return false;
            left -= body.Length;
            blocks.Add(new ContextBlock(id, ContextBlockKind.Knowledge, body, weight));
            return true;
        }
        for (var i = 0; i < pack.Rules.Count; i++)
            if (!Add($"{prefix}:rule:{i + 1}", $"Rule ({pack.Name}): {pack.Rules[i]}", 0.9)) break;
        for (var i = 0; i < pack.Facts.Count; i++)
            if (!Add($"{prefix}:fact:{i + 1}", $"Fact ({pack.Name}, {pack.Facts[i].Category}): {pack.Facts[i].Text}", 0.8)) break;
        var passages = Passages(pack, text);
        var best = passages.Count == 0 ? 1 : passages[0].Score;
        for (var i = 0; i < passages.Count; i++)
        {
            var p = passages[i];
            var where = p.Heading is null ? p.Document.Title : $"{p.Document.Title} § {p.Heading}";
            Add($"{prefix}:passage:{i + 1}", $"From knowledge pack {pack.Name} ({where}):\n{p.Text}", Math.Round(0.7 * p.Score / best, 4));
        }
        return blocks;
    }

    /// <summary>The pack's document paragraphs that share terms with <paramref name="text"/>, best first (BM25 with the pack's paragraphs as the corpus).</summary>
    public static IReadOnlyList<PackPassage> Passages(KnowledgePack pack, string text)
    {
        ArgumentNullException.ThrowIfNull(pack);
        var query = SentenceRanker.Terms(text).Distinct(StringComparer.Ordinal).ToList();
        if (query.Count == 0) return [];
        var paragraphs = pack.Documents.SelectMany(Paragraphs).ToList();
        if (paragraphs.Count == 0) return [];
        var terms = paragraphs.Select(p => SentenceRanker.Terms(p.Heading is null ? p.Text : p.Heading + " " + p.Text)).ToList();
        var average = Math.Max(1, terms.Average(t => t.Count));
        var frequency = query.ToDictionary(q => q, q => terms.Count(t => t.Contains(q, StringComparer.Ordinal)), StringComparer.Ordinal);
        var scored = new List<PackPassage>();
        for (var i = 0; i < paragraphs.Count; i++)
        {
            var counts = terms[i].GroupBy(t => t, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
            double score = 0;
            foreach (var q in query)
            {
                if (!counts.TryGetValue(q, out var tf)) continue;
                var df = frequency[q];
                var idf = Math.Log(1 + ((paragraphs.Count - df + 0.5) / (df + 0.5)));
                score += idf * (tf * (K1 + 1)) / (tf + (K1 * (1 - B + (B * terms[i].Count / average))));
            }
            if (score > 0) scored.Add(paragraphs[i] with { Score = score });
        }
        return [.. scored.OrderByDescending(p => p.Score).Take(MaxPassages)];
    }

    /// <summary>A document's paragraphs (blank-line separated), each with the Markdown heading it sits under; headings alone are not paragraphs.</summary>
    private static IEnumerable<PackPassage> Paragraphs(PackDocument document)
    {
        string? heading = null;
        var lines = new List<string>();
        IEnumerable<PackPassage> Flush()
        {
            if (lines.Count > 0)
            {
                var body = string.Join('\n', lines).Trim();
                lines.Clear();
                if (body.Length > 0) yield return new PackPassage(document, heading, body.Length > 1500 ? body[..1500] + "…" : body, 0);
            }
        }
        foreach (var raw in document.Text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n'))
        {
            var line = raw.TrimEnd();
            if (line.Length == 0)
            {
                foreach (var p in Flush()) yield return p;
            }
            else if (line.StartsWith('#'))
            {
                foreach (var p in Flush()) yield return p;
                heading = line.TrimStart('#').Trim();
            }
            else
            {
                lines.Add(line);
            }
        }
        foreach (var p in Flush()) yield return p;
    }

    /// <summary>Lowercased, lightly stemmed words (letters and digits; every other character separates).</summary>
    public static IReadOnlyList<string> Words(string text)
    {
        var words = new List<string>();
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var inWord = i < text.Length && char.IsLetterOrDigit(text[i]);
            if (inWord && start < 0) start = i;
            else if (!inWord && start >= 0)
            {
                words.Add(SentenceRanker.Stem(text[start..i].ToLower(CultureInfo.InvariantCulture)));
                start = -1;
            }
        }
        return words;
    }

    private static bool ContainsPhrase(IReadOnlyList<string> words, IReadOnlyList<string> phrase)
    {
        if (phrase.Count == 0) return false;
        for (var i = 0; i + phrase.Count <= words.Count; i++)
        {
            var all = true;
            for (var j = 0; j < phrase.Count && all; j++) all = words[i + j] == phrase[j];
            if (all) return true;
        }
        return false;
    }

    private static string Slug(string topic) => topic.Replace(' ', '-');
}
