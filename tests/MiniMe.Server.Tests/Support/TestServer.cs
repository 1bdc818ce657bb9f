using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using MiniMe.Configuration;
using MiniMe.Server.Auth;
using MiniMe.Tools.Trust;

namespace MiniMe.Server.Tests.Support;

/// <summary>
/// The real server (Kestrel on 127.0.0.1, port chosen by the OS) over a fresh workspace in a temp
/// folder whose owner is "owner". The chat model, when given, is a scripted client in DI. The
/// workspace is built by hand, so it is trusted through the API in a temporary trust file next to it
/// (as `minime init` would), unless the test asks for an untrusted one.
/// </summary>
public sealed class TestServer : IAsyncDisposable
{
    public const string Owner = "owner";

    private readonly WebApplication _app;
    private readonly List<HttpClient> _clients = [];

    private TestServer(WebApplication app, Workspace workspace, string root)
    {
        _app = app;
        Workspace = workspace;
        Root = root;
        BaseAddress = new Uri(MiniMeServer.Addresses(app)[0]);
    }

    public Uri BaseAddress { get; }
    public Workspace Workspace { get; }
    public string Root { get; }
    public IServiceProvider Services => _app.Services;
    public ApiKeyStore Keys => _app.Services.GetRequiredService<ApiKeyStore>();

    /// <param name="settings">config.yaml settings as configuration keys ("memory:store" = "postgres"), as MINIME_ variables would give them.</param>
    /// <param name="configure">Changes the workspace's options (as config.yaml would) before the server starts.</param>
    public static async Task<TestServer> StartAsync(IChatClient? chat = null, Action<ServerOptions>? tweak = null, Action<IServiceCollection>? services = null, bool trusted = true,
        IReadOnlyDictionary<string, string?>? settings = null, Action<MiniMeOptions>? configure = null)
    {
        var root = Path.Combine(Path.GetTempPath(), "minime-server-tests", Guid.NewGuid().ToString("N"));
        var workspace = new Workspace(Path.Combine(root, ".minime"));
        WorkspaceInitializer.Initialize(workspace, Owner, force: false);
        var options = ConfigurationLoader.Load(workspace, settings);
        configure?.Invoke(options);
        var trust = new TrustStore(TrustFileFor(root));
        if (trusted) WorkspaceTrust.Record(trust, workspace, options, TrustSource.Init, DateTimeOffset.UtcNow);
        var server = new ServerOptions();
        tweak?.Invoke(server);
        server.Validate("test");
        var app = MiniMeServer.Build(workspace, options, server, "http://127.0.0.1:0", engine =>
        {
            engine.UseTrust(trust);
            if (chat is not null) engine.UseChatClient(chat);
        }, services);
        await app.StartAsync();
        return new TestServer(app, workspace, root);
    }

    /// <summary>The trust file the server uses, for the command line run over the same workspace (<see cref="CliRun"/>).</summary>
    public string TrustFile => TrustFileFor(Root);

    /// <summary>Outside the project folder (the tools root), so tools can never reach it.</summary>
    private static string TrustFileFor(string root) => root + ".trust.json";

    public string CreateKey(string name, string user = Owner) => Keys.Create(name, user).Secret;

    /// <summary>Trusts the workspace as it is now, as `minime trust --yes` would (after a test rewrote allowlist.yaml).</summary>
    public void TrustWorkspace() =>
        WorkspaceTrust.Record(new TrustStore(TrustFileFor(Root)), Workspace, ConfigurationLoader.Load(Workspace), TrustSource.User, DateTimeOffset.UtcNow);

    /// <summary>An HttpClient for the server, with the key as a bearer token when given.</summary>
    public HttpClient Client(string? key = null)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (key is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        _clients.Add(client);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients) client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(Root, recursive: true);
            File.Delete(TrustFileFor(Root));
            File.Delete(TrustFileFor(Root) + ".lock");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: a leftover temp folder must not fail a test.
        }
    }
}
