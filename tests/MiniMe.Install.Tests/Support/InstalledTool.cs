namespace MiniMe.Install.Tests.Support;

/// <summary>
/// Once per test run: scripts/pack.sh packs this checkout into a temporary folder, then `dotnet tool install
/// --tool-path` installs the MiniMe package from that folder alone (no other package source, an empty NuGet
/// packages folder), as a user would. The tests then read the packages and run the installed `minime`.
/// </summary>
public sealed class InstalledTool : IAsyncLifetime
{
    /// <summary>A pre-release version no published package has, so nothing but the local folder can satisfy it.</summary>
    public const string Version = "1.0.0-installtest";

    public const string RuntimeIdentifier = "linux-x64";

    private readonly string _root = Path.Combine(Path.GetTempPath(), "minime-install-tests", Guid.NewGuid().ToString("N"));

    public string RepositoryRoot { get; } = FindRepositoryRoot();

    public string PackageFolder => Path.Combine(_root, "packages");

    public string ToolPath => Path.Combine(_root, "tools");

    /// <summary>The installed command: the shim `dotnet tool install` writes into the tool path.</summary>
    public string Minime => Path.Combine(ToolPath, "minime");

    public string PointerPackage => Path.Combine(PackageFolder, $"MiniMe.{Version}.nupkg");

    public string PlatformPackage => Path.Combine(PackageFolder, $"MiniMe.{RuntimeIdentifier}.{Version}.nupkg");

    /// <summary>What scripts/pack.sh printed: the packages and their sizes.</summary>
    public RunResult Pack { get; private set; } = null!;

    public RunResult Install { get; private set; } = null!;

    /// <summary>A fresh folder under this fixture's root (deleted with it).</summary>
    public string NewFolder(string name)
    {
        var path = Path.Combine(_root, "work", name + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>
    /// The environment of every command the fixture runs: no first-run banner or telemetry, and no MSBuild node,
    /// MSBuild server or compiler server left running after it (one that inherited the output pipe would keep it open).
    /// </summary>
    private static Dictionary<string, string?> DotnetEnvironment() => new()
    {
        ["DOTNET_NOLOGO"] = "1",
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        ["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1",
        ["MSBUILDDISABLENODEREUSE"] = "1",
        ["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0",
        ["UseSharedCompilation"] = "false",
    };

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_root);
        Pack = await Run.ProcessAsync(
            "bash", [Path.Combine(RepositoryRoot, "scripts", "pack.sh"), "--output", PackageFolder, "--version", Version],
            RepositoryRoot, DotnetEnvironment(), TimeSpan.FromMinutes(30));
        if (Pack.ExitCode != 0) throw new InvalidOperationException("scripts/pack.sh failed: " + Pack);

        var install = DotnetEnvironment();
        // The install may use only the package folder: an empty NuGet packages folder and no other source.
        install["NUGET_PACKAGES"] = NewFolder("nuget-packages");
        Install = await Run.ProcessAsync(
            "dotnet", ["tool", "install", "--tool-path", ToolPath, "--source", PackageFolder, "MiniMe", "--version", Version],
            _root, install, TimeSpan.FromMinutes(10));
        if (Install.ExitCode != 0) throw new InvalidOperationException("dotnet tool install failed: " + Install);
    }

    public Task DisposeAsync()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // best effort: a temporary folder
        }
        catch (UnauthorizedAccessException)
        {
            // best effort: a temporary folder
        }

        return Task.CompletedTask;
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MiniMe.slnx")) && File.Exists(Path.Combine(dir.FullName, "scripts", "pack.sh")))
                return dir.FullName;
        }

        throw new InvalidOperationException($"no MiniMe.slnx with scripts/pack.sh above {AppContext.BaseDirectory}");
    }
}

[CollectionDefinition(Name)]
public sealed class InstalledToolCollection : ICollectionFixture<InstalledTool>
{
    public const string Name = "installed tool";
}
