using System.Security.Cryptography;
using System.Text.Json.Nodes;
using MiniMe.Actions;
using MiniMe.Configuration;
using MiniMe.Tools;
using MiniMe.Tools.Approval;
using MiniMe.Tools.Trust;
using MiniMe.Tracing;

namespace MiniMe.Tools.Tests.Support;

/// <summary>
/// A throwaway directory with a project root (the tools root, holding .minime, a git repo, secrets,
/// symlinks in and out) next to an "outside" directory that tools must never reach. Snapshot()
/// captures every file, link and directory under both so tests can assert nothing changed. The
/// workspace is built by hand, so it is trusted through the API in a trust file under the base
/// (outside the tools root), as `minime init` would record it.
/// </summary>
public sealed class ToolWorkspace : IDisposable
{
    public const string DefaultAllowlist = """
        read:
          include: ["**"]
          exclude: ["private/**"]
        write:
          include: ["src/**", "docs/**", "link-out/**", "*.txt"]
          exclude: ["src/generated/**"]
        commands:
          - program: git
            args: ["status ...", "log ...", "diff ...", "show ..."]
          - program: dotnet
            args: ["--version", "build ...", "test ..."]
          - program: sh
            args: ["scripts/*.sh ..."]
        """;

    public ToolWorkspace(string? allowlist = null, string sandbox = "none", Action<ToolsOptions>? configure = null,
        IEnumerable<MiniMe.Hooks.IRunHook>? hooks = null, Func<ToolWorkspace, IEnumerable<MiniMe.Hooks.HookOptions>>? programHooks = null)
    {
        Base = Directory.CreateTempSubdirectory("minime-tools-").FullName;
        Root = Path.Join(Base, "project");
        Outside = Path.Join(Base, "outside");
        Directory.CreateDirectory(Root);
        Directory.CreateDirectory(Outside);
        Home = new Workspace(Path.Join(Root, ".minime"));
        WorkspaceInitializer.Initialize(Home, "tester", force: false);
        File.WriteAllText(Home.AllowlistPath, allowlist ?? DefaultAllowlist);
        Options = new MiniMeOptions();
        Options.Tools.Sandbox = Enum.Parse<SandboxMode>(sandbox, ignoreCase: true);
        Options.Tools.CommandTimeoutSeconds = 30;
        Options.Tools.MaxOutputBytes = 4096;
        Options.Tools.MaxFileBytes = 64 * 1024;
        configure?.Invoke(Options.Tools);
        Traces = new TraceStore(Home.TracesDirectory);
        RunId = "test-run";
        Traces.Append(RunId, TraceEventTypes.TaskStart, new JsonObject { ["task"] = "tools test" });
        Seed();
        Trust = new TrustStore(Path.Join(Base, "trust", "trust.json"));
        WorkspaceTrust.Record(Trust, Home, Options.Tools, TrustSource.Init, DateTimeOffset.UtcNow);
        if (programHooks is not null) Options.Hooks.AddRange(programHooks(this));
        Host = ToolHost.Create(Home, Options, retriever: null, Traces, Trust, hooks: hooks);
    }

    public string Base { get; }
    public string Root { get; }
    public string Outside { get; }
    public Workspace Home { get; }
    public MiniMeOptions Options { get; }
    public TraceStore Traces { get; }
    public TrustStore Trust { get; }
    public ToolHost Host { get; }
    public string RunId { get; }

    public string PathOf(string relative) => Path.Join(Root, relative);

    public Task<ActionOutcome> RunAsync(string tool, JsonObject arguments, ApprovalMode mode = ApprovalMode.Yes, IApprovalGate? gate = null) =>
        Host.Runner.RunAsync(new ActionProposal("p1", tool, arguments, "test"), mode, gate ?? new NonInteractiveGate(), new SilentPresenter(), RunId, CancellationToken.None);

    public Task<ActionOutcome> RunAsync(string tool, string argumentsJson, ApprovalMode mode = ApprovalMode.Yes, IApprovalGate? gate = null) =>
        RunAsync(tool, (JsonObject)JsonNode.Parse(argumentsJson)!, mode, gate);

    public IReadOnlyList<TraceEvent> Events(string type) => Traces.Read(RunId).Where(e => e.EventType == type).ToList();

    /// <summary>Every entry under the base: files with a content hash and mode, links with their target, directories.</summary>
    public SortedDictionary<string, string> Snapshot(bool includeFeedback = true)
    {
        var entries = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in Directory.EnumerateFileSystemEntries(Base, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = true }))
        {
            var rel = Path.GetRelativePath(Base, path);
            if (rel.StartsWith(Path.Join("project", ".minime", "traces"), StringComparison.Ordinal)) continue;   // the audit trail grows by design
            if (!includeFeedback && rel == Path.Join("project", ".minime", "feedback.jsonl")) continue;          // so do correction pairs
            var info = new FileInfo(path);
            if (info.LinkTarget is { } target) entries[rel] = "link:" + target;
            else if (Directory.Exists(path)) entries[rel] = "dir";
            else entries[rel] = $"file:{Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)))}:{File.GetUnixFileMode(path)}";
        }
        return entries;
    }

    private void Seed()
    {
        Write("src/app.cs", "class App\n{\n    static void Main() { }\n}\n");
        Write("src/lib/util.cs", "static class Util { }\n");
        Write("docs/readme.md", "# Project\n");
        Write("README.md", "project readme\n");
        Write(".env", "API_KEY=not-a-real-key\n");
        Write("src/.env", "DB_PASSWORD=not-real\n");
        Write(".Env.local", "X=1\n");
        Write("secrets/id_rsa", "-----fake key-----\n");
        Write("keys/server.pem", "-----fake cert-----\n");
        Write("config/app.key", "fake\n");
        Write("private/notes.txt", "private\n");
        Write("src/generated/gen.cs", "// generated\n");
        Write("scripts/hello.sh", "echo hello\n");
        File.WriteAllText(Path.Join(Outside, "target.txt"), "outside\n");
        Directory.CreateDirectory(Path.Join(Outside, "dir"));

        File.CreateSymbolicLink(PathOf("src/escape"), Path.Join("..", "..", "outside"));          // relative link out of the root
        File.CreateSymbolicLink(PathOf("src/outside-file"), Path.Join(Outside, "target.txt"));     // absolute link to a file outside
        File.CreateSymbolicLink(PathOf("src/hostname-link"), "/etc/hostname");
        File.CreateSymbolicLink(PathOf("src/env-link"), Path.Join("..", ".env"));                  // stays inside, but names a secret
        File.CreateSymbolicLink(PathOf("src/loop1"), "loop2");
        File.CreateSymbolicLink(PathOf("src/loop2"), "loop1");
        File.CreateSymbolicLink(PathOf("src/chain1"), "chain2");
        File.CreateSymbolicLink(PathOf("src/chain2"), Path.Join("..", "..", "outside", "dir"));
        File.CreateSymbolicLink(PathOf("link-out"), Outside);                                      // a root-level directory link out
        File.CreateSymbolicLink(PathOf("src/inside-link"), "lib");                                 // a harmless link within the root

        Write("src/Hello/Hello.csproj", "<Project Sdk=\"Microsoft.NET.Sdk\">\n  <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework></PropertyGroup>\n</Project>\n");
        Write("src/Hello/Program.cs", "class Program { static void Main() { } }\n");
        Write("src/Directory.Build.props", "<Project />\n");

        // History that holds secrets: .env committed (then changed) and a key committed then deleted,
        // so git commands can be tried against content the path rules refuse to name.
        Git("init", "-q", ".");
        Git("-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-q", "--allow-empty", "-m", "init");
        Write("secrets/old.key", SecretInHistory + "\n");
        File.WriteAllText(PathOf(".env"), "API_KEY=" + SecretInHistory + "\n");
        Git("add", "-f", ".env", "secrets/old.key", "src/app.cs");
        Git("-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-q", "-m", "add secrets");
        Git("rm", "-q", "secrets/old.key");
        File.WriteAllText(PathOf(".env"), "API_KEY=not-a-real-key\n");
        Git("add", "-f", ".env");
        Git("-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-q", "-m", "rotate");
    }

    /// <summary>A secret that only git's history holds (in .env's first version and a deleted key file).</summary>
    public const string SecretInHistory = "HISTORIC-SECRET-7f3a91";

    /// <summary>Makes <paramref name="relative"/> a git repository of its own (a nested repo with a hooks folder).</summary>
    public void InitNestedRepository(string relative)
    {
        Directory.CreateDirectory(PathOf(relative));
        GitOutput("init", "-q", relative);
    }

    /// <summary>What git prints for a command in the root (for object ids the corpus needs).</summary>
    public string GitOutput(params string[] args)
    {
        var start = new System.Diagnostics.ProcessStartInfo("git") { WorkingDirectory = Root, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = System.Diagnostics.Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        return output;
    }

    public void Write(string relative, string content)
    {
        var path = PathOf(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    private void Git(params string[] args)
    {
        var start = new System.Diagnostics.ProcessStartInfo("git") { WorkingDirectory = Root, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = System.Diagnostics.Process.Start(start)!;
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"git {string.Join(' ', args)} failed: {process.StandardError.ReadToEnd()}");
    }

    public void Dispose()
    {
        try { Directory.Delete(Base, recursive: true); }
        catch (IOException) { /* best effort */ }
        catch (UnauthorizedAccessException) { /* best effort */ }
    }
}
