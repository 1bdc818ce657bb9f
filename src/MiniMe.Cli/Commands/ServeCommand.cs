using System.CommandLine;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MiniMe.Cli.Approval;
using MiniMe.Cli.Hosting;
using MiniMe.Configuration;
using MiniMe.Providers;
using MiniMe.Server;
using MiniMe.Server.Ask;
using MiniMe.Server.Auth;
using MiniMe.Server.Facts;
using MiniMe.Server.Storage;
using Spectre.Console;

namespace MiniMe.Cli.Commands;

/// <summary>`minime serve`: the HTTP API and web UI on Kestrel until Ctrl+C (loopback unless told otherwise).</summary>
internal sealed class ServeCommand : MiniMeCommand
{
    private readonly Option<string?> _urls = new("--urls") { Description = "Where to listen, ';'-separated (default: server.urls, http://127.0.0.1:8002)" };

    public ServeCommand(CliContext context) : base("serve", "Run the HTTP API (chat with streaming, memory, runs, approvals) and the web UI", context)
    {
        Options.Add(_urls);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        await using var engine = OpenEngine(parse);
        var server = ServerOptions.Load(engine.Workspace);
        var urls = parse.GetValue(_urls) ?? server.Urls;
        var exposed = CheckUrls(urls);
        var (connection, notice) = CreateChatClient(engine.Options.Llm);
        var serverEngine = new ServerEngine(engine.Workspace, engine.Options, server, engine.Embeddings, engine.EmbeddingModel, Context.Trust);
        await using var app = MiniMeServer.Build(serverEngine, urls, services =>
        {
            services.AddSingleton<IProposalDecider>(new ToolProposalDecider(serverEngine));
            services.AddSingleton<IUserFacts>(new FactServiceUserFacts(serverEngine));
            if (connection is null) return;
            services.AddSingleton(connection.Chat);
            services.AddSingleton<IAskService>(new TeamAskService(connection.Chat, serverEngine));
        });
        await app.StartAsync(cancellationToken);
        try
        {
            foreach (var address in MiniMeServer.Addresses(app))
                Out.MarkupLine($"MiniMe is serving [bold]{Markup.Escape(engine.Workspace.Root)}[/] at [link]{Markup.Escape(address)}[/] (web UI /, API /v1, OpenAPI /openapi/v1.json, metrics /metrics)");
            if (exposed.Count > 0)
                Context.Error.WriteLine($"warning: listening beyond this machine ({string.Join(", ", exposed)}); every request still needs an API key, but traffic is not encrypted unless you use https.");
            if (notice is not null) Context.Error.WriteLine(notice);
            if (ActionApproval.UntrustedReason(Context, engine) is { } untrusted)
                Context.Error.WriteLine($"warning: approved actions execute nothing: {untrusted}.");
            if (new ApiKeyStore(ServerDatabase.For(engine.Workspace)).List(includeRevoked: false).Count == 0)
                Context.Error.WriteLine("No API keys yet: create one with `minime keys create NAME` (every endpoint but /health needs one).");
            Out.MarkupLine("Press Ctrl+C to stop.");
            var stopping = app.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
            using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stopping);
            try
            {
                await Task.Delay(Timeout.Infinite, either.Token);
            }
            catch (OperationCanceledException)
            {
                // Ctrl+C, SIGTERM or the host stopping: shut down gracefully below.
            }
        }
        finally
        {
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await app.StopAsync(grace.Token);
            connection?.Dispose();
        }
        Context.Error.WriteLine("server stopped");
        return ExitCodes.Ok;
    }

    /// <summary>The chat model for llm.provider; none gives a server whose chat endpoints answer 503 with how to configure one.</summary>
    private static (ProviderConnection? Connection, string? Notice) CreateChatClient(LlmOptions llm) =>
        llm.Provider == LlmProvider.None
            ? (null, "No LLM provider is configured (llm.provider: none): /v1/chat answers 503 and /v1/ask is a dry run until you set llm.provider, llm.model and llm.endpoint (or MINIME_LLM__*) and restart; `minime doctor` checks the setup.")
            : (ChatClientFactory.Create(llm), null);

    /// <summary>Each URL must be http(s) with a host; returns the ones that are not loopback.</summary>
    private static List<string> CheckUrls(string urls)
    {
        var exposed = new List<string>();
        foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var uri) ||
                uri.Scheme is not ("http" or "https"))
                throw new InvalidInputException($"--urls: '{url}' is not an http(s) URL such as http://127.0.0.1:8002.");
            var loopback = uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
            if (!loopback) exposed.Add(url);
        }
        if (exposed.Count == 0 && urls.Trim().Length == 0) throw new InvalidInputException("--urls is empty.");
        return exposed;
    }
}
