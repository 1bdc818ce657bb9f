namespace MiniMe.Masks;

/// <summary>Scope words that push a task's complexity up (positive) or down (negative).</summary>
internal static class ComplexityLexicon
{
    public static IReadOnlyList<(string Term, double Delta)> ScopeTerms { get; } =
    [
        ("architecture", 0.15), ("architect", 0.12), ("distributed", 0.15), ("migrate", 0.12),
        ("migration", 0.12), ("refactor", 0.10), ("concurrency", 0.12), ("concurrent", 0.10),
        ("scale", 0.10), ("scalability", 0.10), ("end to end", 0.10), ("multi tenant", 0.12),
        ("multitenant", 0.12), ("redesign", 0.12), ("zero downtime", 0.10), ("race condition", 0.10),
        ("consistency", 0.08), ("rewrite", 0.10), ("across", 0.05), ("system", 0.05), ("design", 0.06),
        ("backward compatible", 0.08), ("fault tolerant", 0.10), ("event driven", 0.10),
        ("typo", -0.20), ("rename", -0.12), ("comment", -0.10), ("small", -0.10), ("simple", -0.10),
        ("quick", -0.10), ("trivial", -0.15), ("one line", -0.12), ("minor", -0.10), ("tweak", -0.08),
        ("bump", -0.08), ("spelling", -0.10),
    ];

    /// <summary>Words that mark a further step in a multi-step task.</summary>
    public static IReadOnlyList<string> StepWords { get; } = ["then", "afterward", "afterwards", "finally", "next"];
}
