namespace MiniMe.Configuration;

/// <summary>
/// How new facts are matched against known ones (config.yaml `facts:`). A relation's confidence is
/// compared with these thresholds: duplicates at or above <see cref="ReinforceConfidence"/> reinforce the
/// known fact, contradictions at or above <see cref="SupersedeConfidence"/> supersede it, and anything
/// else at or above <see cref="ReviewConfidence"/> waits in the review queue.
/// </summary>
public sealed class FactOptions
{
    public double ReinforceConfidence { get; set; } = 0.8;
    public double SupersedeConfidence { get; set; } = 0.85;
    public double ReviewConfidence { get; set; } = 0.5;
    /// <summary>Cosine similarity at which two facts are taken as the same statement (needs embeddings).</summary>
    public double DuplicateCosine { get; set; } = 0.95;
    /// <summary>Cosine similarity at which two facts are worth a review (needs embeddings).</summary>
    public double RelatedCosine { get; set; } = 0.85;
    /// <summary>Known facts compared with each new one (lexical and dense candidates each).</summary>
    public int Candidates { get; set; } = 20;
    public int MaxChars { get; set; } = 1000;
    /// <summary>Facts captured from chat turns and runs (an extraction model call after each): off, review or auto.</summary>
    public FactCaptureMode Capture { get; set; } = FactCaptureMode.Off;
    /// <summary>With capture auto: a captured fact the model is at least this sure of is remembered; a less sure one waits for review.</summary>
    public double CaptureConfidence { get; set; } = 0.7;
    /// <summary>Facts one extraction may propose at most (more are dropped, highest importance kept).</summary>
    public int CaptureMaxFacts { get; set; } = 5;

    /// <summary>Problems in the settings, as config paths with the rule broken.</summary>
    public IEnumerable<string> Validate()
    {
        foreach (var (name, value) in new[]
        {
            ("reinforceConfidence", ReinforceConfidence), ("supersedeConfidence", SupersedeConfidence),
            ("reviewConfidence", ReviewConfidence), ("duplicateCosine", DuplicateCosine), ("relatedCosine", RelatedCosine),
            ("captureConfidence", CaptureConfidence),
        })
        {
            if (value is < 0 or > 1 || double.IsNaN(value)) yield return $"facts.{name} must be between 0 and 1";
        }
        if (ReviewConfidence > Math.Min(ReinforceConfidence, SupersedeConfidence))
            yield return "facts.reviewConfidence must not exceed facts.reinforceConfidence or facts.supersedeConfidence";
        if (RelatedCosine > DuplicateCosine) yield return "facts.relatedCosine must not exceed facts.duplicateCosine";
        if (Candidates is < 1 or > 200) yield return "facts.candidates must be between 1 and 200";
        if (MaxChars is < 20 or > 20000) yield return "facts.maxChars must be between 20 and 20000";
        if (!Enum.IsDefined(Capture)) yield return "facts.capture must be off, review or auto";
        if (CaptureMaxFacts is < 1 or > 50) yield return "facts.captureMaxFacts must be between 1 and 50";
    }
}
