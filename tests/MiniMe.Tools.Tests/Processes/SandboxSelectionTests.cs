using MiniMe.Configuration;
using MiniMe.Tools.Allowlist;
using MiniMe.Tools.Paths;
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
            var allowlist = ToolAllowlist.Missing("allowlist.yaml");
            var confiner = new PathConfiner(emptyPath.FullName, allowlist);
            ISandbox Create(string mode) => SandboxFactory.Create(new ToolsOptions { Sandbox = Enum.Parse<SandboxMode>(mode, ignoreCase: true) }, resolver, confiner, allowlist, []);
            var auto = Create("auto");
            Assert.False(auto.IsActive);
            Assert.Contains("bubblewrap (bwrap) is not installed", auto.Description, StringComparison.Ordinal);
            var e = Assert.Throws<ConfigException>(() => Create("bwrap"));
            Assert.Contains("tools.sandbox is bwrap, but bubblewrap (bwrap) is not installed", e.Message, StringComparison.Ordinal);
            Assert.False(Create("none").IsActive);
        }
        finally
        {
            emptyPath.Delete();
        }
    }
}
