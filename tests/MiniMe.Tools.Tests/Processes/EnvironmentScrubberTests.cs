using MiniMe.Tools.Processes;

namespace MiniMe.Tools.Tests.Processes;

/// <summary>The broader secret rules must drop secret-looking variables and keep every ordinary one.</summary>
public class EnvironmentScrubberTests
{
    private static readonly Dictionary<string, string> Ordinary = new()
    {
        ["HOME"] = "/home/ann",
        ["LANG"] = "en_US.UTF-8",
        ["LC_ALL"] = "C.UTF-8",
        ["TZ"] = "Europe/Berlin",
        ["USER"] = "ann",
        ["TMPDIR"] = "/tmp/minime-3fa9c1",
        ["DOTNET_ROOT"] = "/usr/share/dotnet",
        ["NUGET_PACKAGES"] = "/home/ann/.nuget/packages",
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        ["JAVA_HOME"] = "/usr/lib/jvm/java-17-openjdk-amd64",
        ["GOPATH"] = "/home/ann/go",
        ["LD_LIBRARY_PATH"] = "/usr/local/lib:/opt/cuda/lib64",
        ["BUILD_ID"] = "20261123-091502-3fa9c1",
        ["GIT_COMMIT"] = "da39a3ee5e6b4b0d3255bfef95601890afd80709",
        ["MAKEFLAGS"] = "-j2 --no-print-directory",
        ["PS1"] = "\\u@\\h:\\w\\$ ",
    };

    private static readonly Dictionary<string, string> Secret = new()
    {
        ["DATABASE_URL"] = "postgres://app:s3cretPass@db.internal:5432/app",
        ["EXTRA_ARGS"] = "--user admin password=hunter2hunter2",
        ["CI_JOB"] = "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
        ["SLACK_HOOK"] = "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
        ["STRIPE"] = "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
        ["AWS_SECRET_ACCESS_KEY"] = "anything",
        ["DB_PASSWD"] = "anything",
        ["GOOGLE_APPLICATION_CREDENTIALS"] = "/home/ann/.config/gcloud/key.json",
    };

    [Fact]
    public void Ordinary_variables_pass_and_secret_looking_ones_are_dropped()
    {
        var source = Ordinary.Concat(Secret).ToDictionary();
        var environment = EnvironmentScrubber.Build("/usr/bin:/bin", [.. source.Keys], n => source.GetValueOrDefault(n));

        foreach (var (name, value) in Ordinary)
            Assert.True(environment.TryGetValue(name, out var passed) && passed == value, $"{name} was dropped or changed");
        foreach (var name in Secret.Keys)
            Assert.False(environment.ContainsKey(name), $"{name} passed");
        Assert.Equal("/usr/bin:/bin", environment["PATH"]);
    }
}
