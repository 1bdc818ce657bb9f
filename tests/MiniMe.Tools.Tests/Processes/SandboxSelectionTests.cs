using MiniMe.Configuration;
using MiniMe.Tools.Processes;

namespace MiniMe.Tools.Tests.Processes;

public sealed class SandboxSelectionTests
{
    [Fact]
    public void Without_bubblewrap_auto_falls_back_to_no_sandbox_and_says_why_while_bwrap_mode_refuses_to_start()
    {
        var emptyPath = Directory.CreateTempSubdirectory("minime-empty-path-");
        try
        {
            var resolver = new ProgramResolver(emptyPath.FullName, "/nonexistent-root");
            var auto = SandboxFactory.Create("auto", resolver, "/nonexistent-root", [], allowNetwork: false);
            Assert.False(auto.IsActive);
            Assert.Contains("bubblewrap (bwrap) is not installed", auto.Description, StringComparison.Ordinal);
            var e = Assert.Throws<ConfigException>(() => SandboxFactory.Create("bwrap", resolver, "/nonexistent-root", [], allowNetwork: false));
            Assert.Contains("tools.sandbox is bwrap, but bubblewrap (bwrap) is not installed", e.Message, StringComparison.Ordinal);
            Assert.False(SandboxFactory.Create("none", resolver, "/nonexistent-root", [], allowNetwork: false).IsActive);
        }
        finally
        {
            emptyPath.Delete();
        }
    }
}
