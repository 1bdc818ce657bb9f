using System.Runtime.CompilerServices;

namespace MiniMe.TestSupport;

/// <summary>
/// Compiled into every test assembly (linked from tests/Shared; a module initializer runs per assembly).
/// Before any test runs, points MINIME_TRUST_FILE at a temporary file for this test process, so a
/// CLI context, tool host or server built without an explicit trust file (a harness that forgot it)
/// still never reads or writes the user's ~/.config/minime/trust.json. Set once, before any test
/// thread starts, and never changed: not a race. Harnesses pass their own trust files on top.
/// </summary>
internal static class TrustFileGuard
{
#pragma warning disable CA2255 // a test assembly, not a library: this must run before the first test
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Install()
    {
        var directory = Directory.CreateTempSubdirectory("minime-test-trust-guard-").FullName;
        Environment.SetEnvironmentVariable("MINIME_TRUST_FILE", Path.Combine(directory, "trust.json"));
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(directory, recursive: true); }
            catch (IOException) { /* best effort */ }
        };
    }
}
