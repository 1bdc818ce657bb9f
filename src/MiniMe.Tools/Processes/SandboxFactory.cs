using MiniMe.Configuration;

namespace MiniMe.Tools.Processes;

/// <summary>Picks the sandbox tools.sandbox asks for: auto (bubblewrap when it works here), bwrap (required) or none.</summary>
public static class SandboxFactory
{
    public static ISandbox Create(string mode, ProgramResolver resolver, string root, IEnumerable<string> readOnlyInsideRoot, bool allowNetwork)
    {
        ArgumentNullException.ThrowIfNull(resolver);
        if (mode == "none") return new NoSandbox("sandbox disabled (tools.sandbox: none)");
        if (!OperatingSystem.IsLinux())
        {
            if (mode == "bwrap") throw new ConfigException("tools.sandbox is bwrap, but bubblewrap only exists on Linux; use auto or none.");
            return new NoSandbox("no sandbox on this platform (bubblewrap is Linux-only)");
        }
        var bwrap = resolver.Resolve("bwrap");
        var scratch = Directory.CreateTempSubdirectory("minime-bwrap-probe-");
        string? problem;
        try
        {
            problem = BubblewrapSandbox.Probe(bwrap, resolver.Resolve("true"), scratch.FullName);
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
        if (problem is null)
            return new BubblewrapSandbox(bwrap!, root, readOnlyInsideRoot, allowNetwork, BubblewrapSandbox.CredentialPaths(Environment.GetEnvironmentVariable("HOME")));
        if (mode == "bwrap")
            throw new ConfigException($"tools.sandbox is bwrap, but {problem}; fix that or set tools.sandbox: auto.");
        return new NoSandbox($"not sandboxed: {problem}");
    }
}
