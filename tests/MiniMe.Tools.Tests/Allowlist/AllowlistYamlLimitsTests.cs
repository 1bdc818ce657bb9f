using System.Text;
using MiniMe.Configuration;
using MiniMe.Tools.Allowlist;

namespace MiniMe.Tools.Tests.Allowlist;

/// <summary>allowlist.yaml goes through the same YAML limits as config.yaml: alias bombs and huge files are refused cheaply.</summary>
public sealed class AllowlistYamlLimitsTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("minime-allowlist-limits-");

    public void Dispose() => _dir.Delete(recursive: true);

    private static string BillionLaughs(int levels, int width)
    {
        var text = new StringBuilder();
        text.Append("l0: &l0 [").Append(string.Join(", ", Enumerable.Repeat("\"**\"", width))).Append("]\n");
        for (var level = 1; level < levels; level++)
            text.Append($"l{level}: &l{level} [").Append(string.Join(", ", Enumerable.Repeat($"*l{level - 1}", width))).Append("]\n");
        return text.ToString();
    }

    [Theory]
    [InlineData(6, 10)]
    [InlineData(9, 9)]
    public void An_alias_bomb_in_allowlist_yaml_is_refused_with_bounded_allocation(int levels, int width)
    {
        var path = Path.Combine(_dir.FullName, "allowlist.yaml");
        File.WriteAllText(path, BillionLaughs(levels, width) + "read:\n  include: *l" + (levels - 1) + "\n");
        var before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<ConfigException>(() => AllowlistLoader.Load(path));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 16L * 1024 * 1024, $"refusing the allowlist allocated {allocated:N0} bytes");
        Assert.Matches($@"^{System.Text.RegularExpressions.Regex.Escape(path)}:\d+:\d+: YAML aliases expand the document past 100,000 nodes \(an alias bomb\?\); refused$", error.Message);
    }

    [Fact]
    public void An_allowlist_over_one_megabyte_is_refused_naming_its_size()
    {
        var path = Path.Combine(_dir.FullName, "allowlist.yaml");
        File.WriteAllText(path, "environment:\n" + string.Concat(Enumerable.Repeat("  - SOME_VARIABLE_NAME\n", 60_000)));
        var error = Assert.Throws<ConfigException>(() => AllowlistLoader.Load(path));
        Assert.StartsWith($"{path} is 1.3 MiB; MiniMe refuses YAML files over 1 MiB", error.Message, StringComparison.Ordinal);
    }
}
