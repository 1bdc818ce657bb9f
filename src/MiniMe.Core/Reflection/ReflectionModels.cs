namespace MiniMe.Reflection;

/// <summary>The subject kinds a reflection panel reviews.</summary>
public static class SubjectKinds
{
    public const string Run = "run";
    public const string Fact = "fact";
    public const string Text = "text";
}

/// <summary>What the panel reviews: a run's trace, a fact with its history, or free text, rendered as <paramref name="Text"/>.</summary>
/// <param name="Id">The run or fact id; null for free text.</param>
/// <param name="Title">One line naming the subject (the run's task, the fact's text, the text's first line).</param>
public sealed record ReflectionSubject(string Kind, string? Id, string Title, string Text);

/// <summary>The stances a perspective may take, and their value on [-1, 1].</summary>
public static class Stances
{
    public const string Support = "support";
    public const string Mixed = "mixed";
    public const string Oppose = "oppose";
    public static IReadOnlyList<string> All { get; } = [Support, Mixed, Oppose];

    public static double ValueOf(string stance) => stance switch
    {
        Support => 1,
        Oppose => -1,
        _ => 0,
    };

    /// <summary>The word for a numeric stance: above 1/3 support, below -1/3 oppose, mixed between.</summary>
    public static string LabelOf(double value) => value > 1.0 / 3 ? Support : value < -1.0 / 3 ? Oppose : Mixed;
}

/// <summary>One perspective's verdict as the model gave it (schema-valid).</summary>
/// <param name="Stance">support, mixed or oppose (a numeric stance is labelled by <see cref="Stances.LabelOf"/>).</param>
/// <param name="StanceValue">The stance on [-1, 1]: support 1, mixed 0, oppose -1, or the model's number.</param>
public sealed record PerspectiveVerdict(string Perspective, string Assessment, string Stance, double StanceValue, IReadOnlyList<string> Concerns, double Confidence);

/// <summary>The synthesis agent's merge of the verdicts.</summary>
public sealed record ReflectionSynthesis(string Summary, IReadOnlyList<string> Agreements, IReadOnlyList<string> OpenConcerns);

/// <summary>
/// How much the panel disagrees, in [0, 1], computed from the verdicts (never asked of the model); see
/// <see cref="DisagreementCalculator"/> and docs/reflection.md for the formula.
/// </summary>
/// <param name="StanceDispersion">S: the confidence-weighted standard deviation of the stances times the mean confidence.</param>
/// <param name="ConfidenceSpread">C: the standard deviation of the confidences over its maximum (0.5).</param>
/// <param name="AssessmentDistance">A: the mean pairwise cosine distance of the assessments' embeddings; null when embeddings are off.</param>
public sealed record DisagreementIndex(double Value, double StanceDispersion, double ConfidenceSpread, double? AssessmentDistance, string Formula);

/// <summary>A finished panel: the verdicts in the order asked, the synthesis and the index.</summary>
public sealed record ReflectionResult(
    string RunId,
    ReflectionSubject Subject,
    IReadOnlyList<PerspectiveVerdict> Verdicts,
    ReflectionSynthesis Synthesis,
    DisagreementIndex Disagreement)
{
    public MiniMe.Runs.RunTotals? Totals { get; init; }
    public string Status { get; init; } = "completed";
}
