using MiniMe.Security;

namespace MiniMe.Tests.Security;

/// <summary>The fast glob set must answer exactly as asking each glob would.</summary>
public sealed class GlobSetTests
{
    private static readonly string[] Paths =
    [
        ".env", "a/.env", "a/.env.local", ".ENV", "src/.Env.Prod", "env", "a/b/.envrc", "x.pem", "a/b/c.PEM", ".pem", "a.pem.bak",
        "id_rsa", "keys/id_rsa.pub", "id_rsa_old", "a/.ssh", "a/.ssh/config", ".ssh/known_hosts", "a/b/.ssh/x/y", "ssh/config",
        ".docker/config.json", "a/.docker/config.json", "a/.docker/other.json", ".aws/credentials", "a/.aws", "x/.azure/y", ".azure",
        "src/Directory.Build.props", "directory.build.props", "src/App.csproj", "src/app.CSPROJ", "a/b/Makefile", "makefile.txt",
        "src/.vscode/tasks.json", ".vscode", "src/.github/workflows/ci.yml", "package.json", "a/package.json.bak", "x.rsp", "a/.mvn/wrapper/x",
        ".cargo/config", "a/.cargo/config.toml", "src/a.cs", "README.md", "a/b/c/d/e.txt", "a/.git/config", "gradlew", "a/build.gradle.kts",
        "", "/", "a/", "a/.ssh/",
    ];

    public static TheoryData<string> Sets() => ["secrets", "code"];

    [Theory]
    [MemberData(nameof(Sets))]
    public void The_set_answers_as_each_glob_would(string which)
    {
        var patterns = which == "secrets" ? SecretPaths.Patterns : MiniMe.Tools.Commands.CodeFiles.Patterns;
        var set = new GlobSet(patterns, ignoreCase: true);
        var globs = patterns.Select(p => new Glob(p, ignoreCase: true)).ToList();
        foreach (var path in Paths)
        {
            var expected = globs.Any(g => g.IsMatch(path));
            var found = set.Match(path);
            Assert.True(expected == (found is not null), $"{which}: '{path}' expected {(expected ? "a match" : "none")}, got {found ?? "none"}");
            if (found is not null) Assert.True(new Glob(found, ignoreCase: true).IsMatch(path), $"{which}: '{path}' reported {found}, which does not match it");
        }
    }
}
