namespace MiniMe.Configuration;

/// <summary>Creates a workspace (SPEC 2) with commented defaults. Never overwrites without force.</summary>
public static class WorkspaceInitializer
{
    public static IReadOnlyList<string> Initialize(Workspace workspace, string userName, bool force)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        var files = new (string Path, string Content)[]
        {
            (workspace.ConfigPath, DefaultFiles.Config(userName)),
            (workspace.IdentityPath, DefaultFiles.Identity),
            (workspace.AllowlistPath, DefaultFiles.Allowlist),
        };
        if (!force)
        {
            var existing = files.Where(f => File.Exists(f.Path)).Select(f => Path.GetFileName(f.Path)).ToList();
            if (existing.Count > 0)
                throw new ConfigException($"{workspace.Root} already has {string.Join(", ", existing)}; pass --force to overwrite them (memory.db, traces and feedback are kept).");
        }
        Directory.CreateDirectory(workspace.Root);
        Directory.CreateDirectory(workspace.TracesDirectory);
        Directory.CreateDirectory(workspace.ModelsDirectory);
        Directory.CreateDirectory(workspace.PacksDirectory);
        Directory.CreateDirectory(workspace.WorkflowsDirectory);
        var written = new List<string>();
        foreach (var (path, content) in files)
        {
            // Write next to the target, then move: an interrupted init never leaves half a file.
            var temporary = path + ".tmp";
            File.WriteAllText(temporary, content);
            File.Move(temporary, path, overwrite: true);
            written.Add(path);
        }
        return written;
    }
}
