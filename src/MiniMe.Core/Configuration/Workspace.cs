namespace MiniMe.Configuration;

/// <summary>The paths of one MiniMe workspace (SPEC 2): config, identity, allowlist, memory, traces, feedback.</summary>
public sealed class Workspace
{
    public const string EnvironmentVariable = "MINIME_HOME";
    public const string DefaultDirectoryName = ".minime";

    public Workspace(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        Root = Path.GetFullPath(root);
    }

    public string Root { get; }
    public string ConfigPath => Path.Combine(Root, "config.yaml");
    public string IdentityPath => Path.Combine(Root, "identity.yaml");
    public string AllowlistPath => Path.Combine(Root, "allowlist.yaml");
    public string TracesDirectory => Path.Combine(Root, "traces");
    public string FeedbackPath => Path.Combine(Root, "feedback.jsonl");
    public string ModelsDirectory => Path.Combine(Root, "models");
    public string PacksDirectory => Path.Combine(Root, "packs");
    public string SnapshotsDirectory => Path.Combine(Root, "snapshots");
    /// <summary>The user's workflow manifests (*.workflow.yaml), listed by `minime workflow list`.</summary>
    public string WorkflowsDirectory => Path.Combine(Root, "workflows");
    /// <summary>Workflow run checkpoints (runs/&lt;run-id&gt;.checkpoint.json), whichever trace store memory.traces names.</summary>
    public string RunsDirectory => Path.Combine(Root, "runs");

    public bool IsInitialized => File.Exists(ConfigPath);

    /// <summary>--home wins, then MINIME_HOME, then ./.minime.</summary>
    public static Workspace Resolve(string? homeOption, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var home = !string.IsNullOrWhiteSpace(homeOption) ? homeOption
            : environment(EnvironmentVariable) is { Length: > 0 } fromEnv ? fromEnv
            : Path.Combine(Directory.GetCurrentDirectory(), DefaultDirectoryName);
        return new Workspace(home);
    }

    /// <summary>Resolves a path setting relative to the workspace root.</summary>
    public string ResolvePath(string path) => Path.GetFullPath(Path.Combine(Root, path));

    public void EnsureInitialized()
    {
        if (!IsInitialized)
            throw new ConfigException($"No MiniMe workspace at {Root}; run `minime init` first (or pass --home / set MINIME_HOME).");
    }
}
