using MiniMe.Security;

namespace MiniMe.Tools.Commands;

/// <summary>
/// Files that run code when a build, a test run, an editor, git or a CI system reads them, rather than
/// being compiled into the program: MSBuild imports Directory.Build.* and *.rsp by itself, project
/// files carry targets that run commands, package.json has scripts, Makefiles are shell, .github
/// workflows run in CI, .vscode tasks run in the editor, .gitattributes names filter drivers.
/// Writing one is refused unless allowlist.yaml lists it under write.code, and the approval says so.
/// </summary>
public static class CodeFiles
{
    public static IReadOnlyList<string> Patterns { get; } =
    [
        // MSBuild and NuGet
        "**/Directory.Build.props", "**/Directory.Build.targets", "**/Directory.Build.rsp", "**/Directory.Packages.props",
        "**/Directory.Solution.props", "**/Directory.Solution.targets", "**/*.rsp",
        "**/*.csproj", "**/*.fsproj", "**/*.vbproj", "**/*.proj", "**/*.props", "**/*.targets", "**/*.tasks",
        "**/*.sln", "**/*.slnx", "**/*.slnf", "**/nuget.config", "**/global.json", "**/*.runsettings", "**/dotnet-tools.json",
        // Node, Python, JVM, Rust, C/C++, Ruby, Go
        "**/package.json", "**/.yarnrc", "**/.yarnrc.yml", "**/pnpm-workspace.yaml", "**/.pnpmfile.cjs",
        "**/setup.py", "**/setup.cfg", "**/pyproject.toml", "**/conftest.py", "**/tox.ini", "**/noxfile.py",
        "**/build.gradle", "**/build.gradle.kts", "**/settings.gradle", "**/settings.gradle.kts", "**/gradlew", "**/pom.xml", "**/.mvn/**",
        "**/Cargo.toml", "**/build.rs", "**/.cargo/config", "**/.cargo/config.toml",
        "**/Makefile", "**/makefile", "**/GNUmakefile", "**/*.mk", "**/CMakeLists.txt", "**/*.cmake", "**/meson.build",
        "**/Rakefile", "**/Gemfile", "**/justfile", "**/Justfile", "**/Taskfile.yml", "**/go.mod",
        // Git, editors, CI, shells, containers
        "**/.gitattributes", "**/.gitmodules", "**/.gitconfig", "**/.githooks/**", "**/.husky/**", "**/.pre-commit-config.yaml",
        "**/.envrc", "**/.vscode/**", "**/.idea/**", "**/.devcontainer/**", "**/.github/**", "**/.gitlab-ci.yml",
        "**/.circleci/**", "**/azure-pipelines.yml", "**/Jenkinsfile", "**/Dockerfile", "**/docker-compose.yml", "**/compose.yaml",
        "**/.bashrc", "**/.profile", "**/.zshrc",
    ];

    private static readonly GlobSet Set = new(Patterns, ignoreCase: true);

    /// <summary>A pattern a '/'-separated relative path matches, or null.</summary>
    public static string? Match(string relativePath) => Set.Match(relativePath);

    /// <summary>One line for the approval: why this file is code.</summary>
    public static string Why(string relativePath, string pattern) =>
        $"{relativePath} can run code (matches {pattern}: builds, tests, git, editors or CI read it and run what it says)";
}
