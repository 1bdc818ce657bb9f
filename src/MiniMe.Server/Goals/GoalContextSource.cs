using System.Globalization;
using System.Text;
using MiniMe.Context;

namespace MiniMe.Server.Goals;

/// <summary>
/// Adds the user's active goals that bear on the task to every run's context (ask and chat). The rule:
/// a goal is relevant when the task shares at least one content word (3+ letters or digits, not a
/// stop word, a final "s" ignored) with the goal's title, description or milestone titles; the goals
/// sharing the most words go first (then the nearest deadline), at most <see cref="MaxGoals"/>. Each
/// block says the deadline, the progress and the open milestones.
/// </summary>
public sealed class GoalContextSource(GoalStore goals) : IContextSource
{
    public const int MaxGoals = 3;

    private const double Weight = 0.75;

    private static readonly HashSet<string> StopWords = new(StringComparer.Ordinal)
    {
        "the", "and", "for", "with", "that", "this", "from", "into", "what", "which", "when", "where", "how", "why", "who",
        "are", "was", "were", "been", "have", "has", "had", "not", "but", "you", "your", "our", "can", "could", "should",
        "would", "will", "shall", "may", "might", "about", "over", "under", "then", "than", "them", "they", "their", "there",
        "its", "all", "any", "some", "one", "two", "get", "got", "let", "make", "made", "just", "also", "very", "more", "most",
        "please", "need", "want", "does", "did", "doing", "done", "use", "using", "via", "per", "out", "off", "now", "new",
    };

    public string Name => "goals";

    public Task<IReadOnlyList<ContextBlock>> BlocksAsync(ContextSourceRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        cancellationToken.ThrowIfCancellationRequested();
        var task = Words(request.Text);
        if (task.Count == 0) return Task.FromResult<IReadOnlyList<ContextBlock>>([]);
        var relevant = goals.List(request.UserId, GoalStatuses.Active)
            .Select(g => (Goal: g, Shared: Words(GoalText(g)).Count(task.Contains)))
            .Where(x => x.Shared > 0)
            .OrderByDescending(x => x.Shared)
            .ThenBy(x => x.Goal.Deadline ?? DateOnly.MaxValue)
            .ThenBy(x => x.Goal.Id, StringComparer.Ordinal)
            .Take(MaxGoals)
            .Select(x => new ContextBlock("goal:" + x.Goal.Id, ContextBlockKind.Goals, Describe(x.Goal), Weight))
            .ToList();
        return Task.FromResult<IReadOnlyList<ContextBlock>>(relevant);
    }

    private static string GoalText(Goal goal) =>
        string.Join(' ', [goal.Title, goal.Description, .. goal.Milestones.Select(m => m.Title)]);

    /// <summary>The block's text: the goal, its deadline and progress, its open milestones.</summary>
    internal static string Describe(Goal goal)
    {
        var text = new StringBuilder("The user's goal: ").Append(goal.Title);
        text.Append(" (").Append(goal.Deadline is { } d ? "deadline " + GoalValues.Format(d) : "no deadline")
            .Append(", ").Append(goal.Progress.ToString(CultureInfo.InvariantCulture)).Append("% done)");
        if (goal.Description.Length > 0) text.Append(". ").Append(goal.Description.TrimEnd('.')).Append('.');
        var open = goal.Milestones.Where(m => m.Status == MilestoneStatuses.Open).ToList();
        if (open.Count > 0)
            text.Append(" Open milestones: ").Append(string.Join("; ", open.Select(m => m.Due is { } due ? $"{m.Title} (due {GoalValues.Format(due)})" : m.Title))).Append('.');
        return text.ToString();
    }

    internal static HashSet<string> Words(string text)
    {
        var words = new HashSet<string>(StringComparer.Ordinal);
        var word = new StringBuilder();
        foreach (var c in text + " ")
        {
            if (char.IsLetterOrDigit(c))
            {
                word.Append(char.ToLowerInvariant(c));
                continue;
            }
            if (word.Length >= 3)
            {
                var w = word.ToString();
                if (!StopWords.Contains(w)) words.Add(w.Length > 3 && w[^1] == 's' && w[^2] != 's' ? w[..^1] : w);
            }
            word.Clear();
        }
        return words;
    }
}
