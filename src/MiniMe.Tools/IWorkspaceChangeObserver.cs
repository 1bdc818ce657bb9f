namespace MiniMe.Tools;

/// <summary>
/// Told after an approved action changed files (written, patched, created or deleted), so what
/// depends on them (memory) can catch up. Called after the change, never before; an observer that
/// throws does not fail the action (the runner records a warning instead).
/// </summary>
public interface IWorkspaceChangeObserver
{
    /// <param name="root">The tools root the action was confined to.</param>
    /// <param name="paths">Full paths of the files changed (a deleted one no longer exists).</param>
    Task FilesChangedAsync(string root, IReadOnlyList<string> paths, CancellationToken cancellationToken);
}
