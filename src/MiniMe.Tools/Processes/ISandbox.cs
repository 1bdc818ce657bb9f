namespace MiniMe.Tools.Processes;

/// <summary>What actually gets started for a command: the program and its argument vector, maybe wrapped.</summary>
public sealed record LaunchVector(string FileName, IReadOnlyList<string> Arguments);

/// <summary>Wraps a command so it runs confined (or does not, and says so).</summary>
public interface ISandbox
{
    /// <summary>"bwrap" or "none".</summary>
    string Name { get; }

    /// <summary>True when commands really run inside a sandbox.</summary>
    bool IsActive { get; }

    /// <summary>Why the sandbox is (not) used, for the trace and `minime tool list`.</summary>
    string Description { get; }

    LaunchVector Wrap(string program, IReadOnlyList<string> arguments, string workingDirectory);

    /// <summary>Environment changes the sandbox needs (TMPDIR inside it, for example).</summary>
    void AdjustEnvironment(IDictionary<string, string> environment);
}

/// <summary>Runs commands directly: confined only by the allowlist, argument, environment and timeout rules.</summary>
public sealed class NoSandbox(string description) : ISandbox
{
    public string Name => "none";
    public bool IsActive => false;
    public string Description { get; } = description;

    public LaunchVector Wrap(string program, IReadOnlyList<string> arguments, string workingDirectory) => new(program, arguments);

    public void AdjustEnvironment(IDictionary<string, string> environment) { }
}
