namespace MiniMe.Tools.Approval;

/// <summary>How proposals are handled (SPEC 3.6).</summary>
public enum ApprovalMode
{
    /// <summary>Each action needing approval is shown and the user accepts, rejects or edits it.</summary>
    Interactive,
    /// <summary>--yes: actions are shown and approved automatically; the allowlist still applies.</summary>
    Yes,
    /// <summary>--dry-run: actions are checked and shown; nothing executes.</summary>
    DryRun,
    /// <summary>--analysis-only: no tool runs at all, not even reads.</summary>
    AnalysisOnly,
}
