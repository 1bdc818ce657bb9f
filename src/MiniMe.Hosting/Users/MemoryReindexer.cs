using MiniMe.Memory.Import;
using MiniMe.Tools;

namespace MiniMe.Hosting.Users;

/// <summary>
/// Keeps a user's memory in step with what their approved tool actions write: each changed file that
/// is a stored document or lies in an imported folder is re-imported through the same
/// <see cref="Importer"/> (a deleted one is removed), see <see cref="Importer.RefreshFilesAsync"/>.
/// The importer (and with it the store) is opened only when an action changed something.
/// </summary>
internal sealed class MemoryReindexer(Func<CancellationToken, Task<Importer>> importer) : IWorkspaceChangeObserver
{
    public async Task FilesChangedAsync(string root, IReadOnlyList<string> paths, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(paths);
        if (paths.Count == 0) return;
        var opened = await importer(cancellationToken).ConfigureAwait(false);
        await opened.RefreshFilesAsync(paths, root, cancellationToken).ConfigureAwait(false);
    }
}
