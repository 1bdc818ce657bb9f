using MiniMe.Tools.Processes;

namespace MiniMe.Tools.Tests.Support;

/// <summary>A test that needs bubblewrap to really work here; skipped, with the probe's reason, when it cannot.</summary>
public sealed class BwrapFactAttribute : FactAttribute
{
    internal static readonly Lazy<string?> Problem = new(() =>
    {
        var resolver = new ProgramResolver(Environment.GetEnvironmentVariable("PATH"), "/nonexistent-root");
        var scratch = Directory.CreateTempSubdirectory("minime-bwrap-test-probe-");
        try
        {
            return BubblewrapSandbox.Probe(resolver.Resolve("bwrap"), resolver.Resolve("true"), scratch.FullName);
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    });

    public BwrapFactAttribute()
    {
        if (Problem.Value is { } problem) Skip = $"bubblewrap cannot run here: {problem}";
    }
}

/// <summary>A theory that needs bubblewrap to really work here; skipped, with the probe's reason, when it cannot.</summary>
public sealed class BwrapTheoryAttribute : TheoryAttribute
{
    public BwrapTheoryAttribute()
    {
        if (BwrapFactAttribute.Problem.Value is { } problem) Skip = $"bubblewrap cannot run here: {problem}";
    }
}
