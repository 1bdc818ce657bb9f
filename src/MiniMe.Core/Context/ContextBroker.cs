using System.Globalization;
using System.Text;
using MiniMe.Memory.Retrieval;

namespace MiniMe.Context;

/// <summary>
/// Lays blocks out in <see cref="ContextBlockKind"/> order under a token budget (SPEC 3.4).
/// Over budget it keeps the head (persona, principles) and the tail (task, never dropped), drops the
/// lowest-weight middle blocks first (a memory block of several sentences is first cut to the sentences
/// that best match the task), and as a last resort truncates the lowest-weight head blocks.
/// Identical requests within <see cref="ContextBrokerOptions.CacheWindow"/> are served from cache.
/// </summary>
public sealed class ContextBroker : IContextBroker
{
    /// <summary>Appended to a head block whose text was cut.</summary>
    public const string TruncationMarker = "…[truncated]";

    private readonly ITokenCounter _counter;
    private readonly TimeProvider _time;
    private readonly ContextBrokerOptions _options;
    private readonly AssemblyCache _cache;

    public ContextBroker(ITokenCounter counter, TimeProvider? timeProvider = null, ContextBrokerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(counter);
        _counter = counter;
        _time = timeProvider ?? TimeProvider.System;
        _options = options ?? new ContextBrokerOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.CacheWindow, TimeSpan.Zero, nameof(options));
        ArgumentOutOfRangeException.ThrowIfNegative(_options.CacheCapacity, nameof(options));
        ArgumentOutOfRangeException.ThrowIfNegative(_options.MinTruncatedTokens, nameof(options));
        _cache = new AssemblyCache(_options.CacheWindow, _options.CacheCapacity);
    }

    /// <inheritdoc />
    public ContextAssembly Assemble(ContextRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(request.Blocks);
        ArgumentOutOfRangeException.ThrowIfNegative(request.BudgetTokens);
        foreach (var block in request.Blocks)
        {
            ArgumentNullException.ThrowIfNull(block, nameof(request));
            ArgumentNullException.ThrowIfNull(block.Id, nameof(request));
            ArgumentNullException.ThrowIfNull(block.Text, nameof(request));
        }

        if (!_cache.Enabled)
        {
            return Build(request);
        }

        var key = AssemblyCache.KeyOf(request);
        if (_cache.TryGet(key, _time.GetUtcNow(), out var cached))
        {
            return cached with { FromCache = true };
        }

        var assembly = Build(request);
        _cache.Add(key, assembly, _time.GetUtcNow());
        return assembly;
    }

    private ContextAssembly Build(ContextRequest request)
    {
        var budget = request.BudgetTokens;
        var slots = request.Blocks
            .Select((b, i) => new Slot(b, i))
            .OrderBy(s => s.Block.Kind)
            .ThenByDescending(s => SortsByWeight(s.Block.Kind) ? s.SafeWeight : 0)
            .ThenBy(s => s.Index)
            .ToList();

        foreach (var s in slots)
        {
            s.Body = s.Block.Text.TrimEnd();
            s.Tokens = s.OriginalTokens = _counter.Count(Render(s));
            if (s.Block.Kind == ContextBlockKind.Task)
            {
                s.Reason = "task: never dropped";
            }
            else if (string.IsNullOrWhiteSpace(s.Body))
            {
                s.Kept = false;
                s.Reason = "empty";
            }
            else
            {
                s.Reason = IsHead(s.Block.Kind) ? "head: kept" : "fits budget";
            }
        }

        var headerTokens = Enum.GetValues<ContextBlockKind>().ToDictionary(k => k, k => _counter.Count(Header(k) + "\n"));
        var separatorTokens = _counter.Count("\n\n");

        // Cheap additive estimate first, then correct against the exact count of the final string.
        int Estimate()
        {
            var kept = slots.Where(s => s.Kept).ToList();
            var sections = kept.Select(s => s.Block.Kind).Distinct().Sum(k => headerTokens[k]);
            return sections + kept.Sum(s => s.Tokens) + (Math.Max(0, kept.Count - 1) * separatorTokens);
        }

        var estimate = Estimate();
        while (estimate > budget && Shrink(slots, estimate - budget))
        {
            estimate = Estimate();
        }

        var prompt = Render(slots);
        var total = _counter.Count(prompt);
        var guard = (slots.Count * 4) + 8;
        while (total > budget && guard-- > 0 && Shrink(slots, total - budget))
        {
            prompt = Render(slots);
            total = _counter.Count(prompt);
        }

        if (total > budget)
        {
            foreach (var task in slots.Where(s => s.Block.Kind == ContextBlockKind.Task))
            {
                task.Reason = $"task: never dropped; prompt is {total - budget} tokens over budget even without droppable blocks";
            }
        }

        var blocks = slots
            .Select(s => new AssembledBlock(s.Block.Id, s.Block.Kind, s.Block.Weight, s.Tokens, s.Kept, s.Reason))
            .ToList();
        return new ContextAssembly(prompt, total, budget, blocks, _counter.Name, FromCache: false);
    }

    /// <summary>One step of shrinking: drop a middle block, else truncate/drop a head block. False when nothing is left to shrink.</summary>
    private bool Shrink(List<Slot> slots, int deficit)
    {
        var middle = slots
            .Where(s => s.Kept && IsMiddle(s.Block.Kind))
            .OrderBy(s => s.SafeWeight)
            .ThenBy(s => MiddleDropRank(s.Block.Kind))
            .ThenByDescending(s => s.Index)
            .FirstOrDefault();
        if (middle is not null)
        {
            if (middle.Block.Kind == ContextBlockKind.Memory && TrimToSentences(slots, middle, deficit))
            {
                return true;
            }

            middle.Kept = false;
            middle.Body = middle.Block.Text.TrimEnd();
            middle.Tokens = middle.OriginalTokens;
            middle.Reason = $"over budget: weight {F(middle.SafeWeight)} < others (lowest-weight middle block, {deficit} tokens over)";
            return true;
        }

        var head = slots
            .Where(s => s.Kept && IsHead(s.Block.Kind))
            .OrderBy(s => s.SafeWeight)
            .ThenByDescending(s => s.Block.Kind)
            .ThenByDescending(s => s.Index)
            .FirstOrDefault();
        if (head is null)
        {
            return false;
        }

        var markerTokens = _counter.Count(" " + TruncationMarker);
        var target = head.Tokens - deficit - markerTokens;
        if (target < Math.Max(1, _options.MinTruncatedTokens))
        {
            head.Kept = false;
            head.Tokens = head.OriginalTokens;
            head.Reason = $"over budget: head block dropped (weight {F(head.SafeWeight)}, lowest in head); head + task exceed budget";
            return true;
        }

        var source = head.Block.Text.TrimEnd();
        head.Body = TruncateToTokens(source, target) + " " + TruncationMarker;
        head.Tokens = _counter.Count(Render(head));
        head.Reason = $"truncated {head.OriginalTokens} -> {head.Tokens} tokens: head + task exceed budget (weight {F(head.SafeWeight)}, lowest in head)";
        return true;
    }

    /// <summary>Marks sentences left out of a memory block trimmed to its best sentences.</summary>
    public const string ElisionMarker = "…";

    /// <summary>
    /// Cuts a memory block down to the sentences that best match the task (query-term overlap,
    /// idf over the memory blocks), in their original order with "…" where sentences were left out,
    /// so a chunk too long for the budget still gives its most relevant sentence. False when not even
    /// one sentence fits in what the deficit leaves, or the block is a single sentence.
    /// </summary>
    private bool TrimToSentences(List<Slot> slots, Slot slot, int deficit)
    {
        var text = slot.Block.Text.TrimEnd();
        var spans = SentenceSplitter.Split(text);
        if (spans.Count < 2)
        {
            return false;
        }

        var target = slot.Tokens - deficit;
        if (target < Math.Max(1, _options.MinTruncatedTokens))
        {
            return false;
        }

        var task = string.Join("\n", slots.Where(s => s.Block.Kind == ContextBlockKind.Task).Select(s => s.Block.Text));
        var memories = slots.Where(s => s.Block.Kind == ContextBlockKind.Memory).Select(s => s.Block.Text).ToList();
        var sentences = spans.Select(s => s.Of(text)).ToList();
        var scores = SentenceRanker.Overlaps(task, memories, sentences);
        var order = Enumerable.Range(0, spans.Count).OrderByDescending(i => scores[i]).ThenBy(i => i).ToList();
        var chosen = new SortedSet<int>();
        string? body = null;
        foreach (var i in order)
        {
            chosen.Add(i);
            var candidate = JoinWithElisions(text, spans, chosen);
            if (_counter.Count(RenderMemory(slot, candidate)) <= target)
            {
                body = candidate;
            }
            else
            {
                chosen.Remove(i);
            }
        }

        if (body is null || chosen.Count == spans.Count)
        {
            return false;
        }

        slot.Body = body;
        slot.Tokens = _counter.Count(Render(slot));
        slot.Reason = $"over budget: cut to {chosen.Count} of {spans.Count} sentences best matching the task ({slot.OriginalTokens} -> {slot.Tokens} tokens, weight {F(slot.SafeWeight)})";
        return true;
    }

    /// <summary>The chosen sentences in reading order; "…" marks every gap, the start and the end when sentences there were left out.</summary>
    private static string JoinWithElisions(string text, IReadOnlyList<SentenceSpan> spans, SortedSet<int> chosen)
    {
        var sb = new StringBuilder();
        var previous = -1;
        foreach (var i in chosen)
        {
            if (previous < 0)
            {
                if (i > 0)
                {
                    sb.Append(ElisionMarker).Append(' ');
                }
            }
            else if (i == previous + 1)
            {
                var gap = text.AsSpan(spans[previous].End, spans[i].Start - spans[previous].End);
                sb.Append(gap.Contains('\n') ? "\n" : " ");
            }
            else
            {
                sb.Append(' ').Append(ElisionMarker).Append(' ');
            }

            sb.Append(spans[i].Of(text));
            previous = i;
        }

        if (previous >= 0 && previous < spans.Count - 1)
        {
            sb.Append(' ').Append(ElisionMarker);
        }

        return sb.ToString();
    }

    private static string RenderMemory(Slot s, string body) => $"[{s.Block.Id}]\n{body}";

    /// <summary>Longest prefix (cut at a char boundary, preferring whitespace) with at most <paramref name="maxTokens"/> tokens.</summary>
    private string TruncateToTokens(string text, int maxTokens)
    {
        int lo = 0, hi = text.Length;
        while (lo < hi)
        {
            var mid = lo + ((hi - lo + 1) / 2);
            if (_counter.Count(SafePrefix(text, mid)) <= maxTokens)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }

        var prefix = SafePrefix(text, lo);
        var space = prefix.LastIndexOfAny([' ', '\n', '\t']);
        if (space > prefix.Length * 3 / 4)
        {
            prefix = prefix[..space];
        }

        return prefix.TrimEnd();
    }

    private static string SafePrefix(string text, int length)
    {
        if (length > 0 && length < text.Length && char.IsHighSurrogate(text[length - 1]))
        {
            length--;
        }

        return text[..length];
    }

    private static string Render(List<Slot> slots)
    {
        var sb = new StringBuilder();
        foreach (var group in slots.Where(s => s.Kept).GroupBy(s => s.Block.Kind))
        {
            if (sb.Length > 0)
            {
                sb.Append("\n\n");
            }

            sb.Append(Header(group.Key)).Append('\n');
            sb.AppendJoin("\n\n", group.Select(Render));
        }

        return sb.ToString();
    }

    private static string Render(Slot s) =>
        s.Block.Kind == ContextBlockKind.Memory ? $"[{s.Block.Id}]\n{s.Body}" : s.Body;

    private static string Header(ContextBlockKind kind) => kind switch
    {
        ContextBlockKind.Persona => "## Persona",
        ContextBlockKind.Principles => "## Principles",
        ContextBlockKind.DomainConstraints => "## Domain constraints",
        ContextBlockKind.ToolSchemas => "## Tools",
        ContextBlockKind.Memory => "## Memory",
        ContextBlockKind.Goals => "## Goals",
        ContextBlockKind.Knowledge => "## Knowledge packs",
        ContextBlockKind.History => "## History",
        ContextBlockKind.Task => "## Task",
        _ => "## " + kind,
    };

    private static bool IsHead(ContextBlockKind k) => k is ContextBlockKind.Persona or ContextBlockKind.Principles;

    private static bool IsMiddle(ContextBlockKind k) => !IsHead(k) && k != ContextBlockKind.Task;

    // History keeps its (chronological) input order; other kinds are laid out by weight.
    private static bool SortsByWeight(ContextBlockKind k) => k is not (ContextBlockKind.History or ContextBlockKind.Persona or ContextBlockKind.Task);

    // At equal weight: memory goes first, then history, tool schemas, domain constraints.
    private static int MiddleDropRank(ContextBlockKind k) => k switch
    {
        ContextBlockKind.Memory => 0,
        ContextBlockKind.History => 1,
        ContextBlockKind.ToolSchemas => 2,
        _ => 3,
    };

    private static string F(double v) => v.ToString("0.00", CultureInfo.InvariantCulture);

    private sealed class Slot(ContextBlock block, int index)
    {
        public ContextBlock Block { get; } = block;
        public int Index { get; } = index;
        public double SafeWeight { get; } = double.IsNaN(block.Weight) ? 0 : block.Weight;
        public string Body { get; set; } = "";
        public int Tokens { get; set; }
        public int OriginalTokens { get; set; }
        public bool Kept { get; set; } = true;
        public string? Reason { get; set; }
    }
}
