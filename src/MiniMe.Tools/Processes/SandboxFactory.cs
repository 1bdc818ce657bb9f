using MiniMe.Configuration;
using MiniMe.Tools.Allowlist;
using MiniMe.Tools.Paths;

namespace MiniMe.Tools.Processes;

/// <summary>Picks the sandbox tools.sandbox asks for: auto (bubblewrap when it works here), bwrap (required) or none.</summary>
public static class SandboxFactory
{
    /// <summary>Whether bubblewrap works does not change while MiniMe runs: probed once per program pair, not per tool host.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(string Bwrap, string True), string?> Probes = new();

    /// <param name="confiner">The tools root and its rules.</param>
    /// <param name="settings">tools.sandbox, tools.allowNetwork, tools.sandboxReadOnly.</param>
    /// <param name="ignoredDirectories">Directory names the sandbox's mask walk skips (import.ignoreDirectories).</param>
    public static ISandbox Create(ToolsOptions settings, ProgramResolver resolver, PathConfiner confiner, ToolAllowlist allowlist, IReadOnlyCollection<string> ignoredDirectories)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(resolver);
        ArgumentNullException.ThrowIfNull(confiner);
        ArgumentNullException.ThrowIfNull(allowlist);
        var mode = settings.Sandbox;
        if (mode == SandboxMode.None) return new NoSandbox("sandbox disabled (tools.sandbox: none)");
        if (!OperatingSystem.IsLinux())
        {
            if (mode == SandboxMode.Bwrap) throw new ConfigException("tools.sandbox is bwrap, but bubblewrap only exists on Linux; use auto or none.");
            return new NoSandbox("no sandbox on this platform (bubblewrap is Linux-only)");
        }
        if (confiner.Root == "/")
            throw new ConfigException("tools.root is /: a sandbox whose writable root is the whole file system confines nothing; set tools.root to your project directory.");
        var bwrap = resolver.Resolve("bwrap");
        var problem = Probes.GetOrAdd((bwrap ?? "", resolver.Resolve("true") ?? ""), key =>
        {
            var scratch = Directory.CreateTempSubdirectory("minime-bwrap-probe-");
            try
            {
                return BubblewrapSandbox.Probe(bwrap, key.True.Length > 0 ? key.True : null, scratch.FullName);
            }
            finally
            {
                scratch.Delete(recursive: true);
            }
        });
        if (problem is null)
        {
            var layout = SandboxLayout.Create(ProgramDirectories(allowlist, resolver), settings.SandboxReadOnly);
            return new BubblewrapSandbox(bwrap!, confiner, confiner.Root, layout, settings.AllowNetwork, ignoredDirectories);
        }
        if (mode == SandboxMode.Bwrap)
            throw new ConfigException($"tools.sandbox is bwrap, but {problem}; fix that or set tools.sandbox: auto.");
        return new NoSandbox($"not sandboxed: {problem}");
    }

    /// <summary>Where the allowed programs really live (after links): a toolchain outside /usr must be visible inside.</summary>
    private static IEnumerable<string> ProgramDirectories(ToolAllowlist allowlist, ProgramResolver resolver)
    {
        foreach (var rule in allowlist.Commands)
        {
            if (resolver.Resolve(rule.Program) is not { } executable) continue;
            var real = new FileInfo(executable).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? executable;
            if (Path.GetDirectoryName(real) is { } directory) yield return directory;
        }
    }
}
