using MiniMe.Configuration;
using MiniMe.Masks;
using MiniMe.Memory;
using MiniMe.Memory.Import;
using MiniMe.Storage.Sqlite;
using MiniMe.Tools;
using MiniMe.Tools.Trust;
using MiniMe.Tracing;

namespace MiniMe.Agents.Tests.Tools;

/// <summary>
/// A project directory with a MiniMe home (the default allowlist of `minime init`), trusted through a
/// trust file of its own, its tools auditing into <paramref name="traces"/>, a SQLite memory, and the
/// agents' toolbox over both, as UserSpace composes them.
/// </summary>
public sealed class RepoWorkspace : IAsyncDisposable
{
    private readonly TempDirectory _directory = new();

    public RepoWorkspace(TraceStore traces)
    {
        Root = Path.Join(_directory.Path, "project");
        Directory.CreateDirectory(Root);
        Home = new Workspace(Path.Join(Root, ".minime"));
        WorkspaceInitializer.Initialize(Home, "tester", force: false);
        Options = new MiniMeOptions();
        Options.Tools.Sandbox = SandboxMode.None;
        var trust = new TrustStore(Path.Join(_directory.Path, "trust", "trust.json"));
        WorkspaceTrust.Record(trust, Home, Options, TrustSource.Init, DateTimeOffset.UtcNow);
        Host = ToolHost.Create(Home, Options, retriever: null, traces, trust);
        Store = new SqliteMemoryStore(Path.Join(Home.Root, "memory.db"));
        Toolbox = new AgentTools(Host, async token =>
        {
            await Store.InitializeAsync(token);
            return Store;
        });
    }

    public string Root { get; }
    public Workspace Home { get; }
    public MiniMeOptions Options { get; }
    public ToolHost Host { get; }
    public SqliteMemoryStore Store { get; }
    public AgentTools Toolbox { get; }

    public string PathOf(string relative) => Path.Join(Root, relative);

    public void Write(string relative, string text)
    {
        var path = PathOf(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    public async Task ImportAsync()
    {
        await Store.InitializeAsync(CancellationToken.None);
        await new Importer(Store, Options.Import, new KeywordTaskClassifier()).ImportAsync(new ImportRequest(Root), null, CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        _directory.Dispose();
    }
}
