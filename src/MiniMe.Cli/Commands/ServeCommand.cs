using System.CommandLine;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MiniMe.Cli.Approval;
using MiniMe.Cli.Hosting;
using MiniMe.Configuration;
using MiniMe.Server;
using MiniMe.Server.Auth;
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
        var workspace = ResolveWorkspace(parse);
        workspace.EnsureInitialized();
        var options = Engine.LoadOptions(workspace);
        var server = ServerOptions.Load(workspace);
        var verbose = parse.GetValue(GlobalOptions.Verbose);
        var given = parse.GetValue(_urls);
        var urls = given ?? server.Urls;
        var exposed = CheckUrls(urls);
        await using var app = MiniMeServer.Build(workspace, options, server, urls, engine => engine.UseTrust(Context.Trust),
            services => services.AddSingleton<IHostLifetime, CommandHostLifetime>(),   // signals are the CLI's (TerminationSignals)
            verbose: verbose);
        _ = app.Services.GetService<Microsoft.Extensions.AI.IChatClient>(); // a misconfigured provider fails now, not at the first request
        _ = app.Services.GetRequiredService<MiniMe.Server.Schedules.ScheduleService>(); // so does a bad schedules.timeZone, in one line, not in the scheduler's start
        var model = ProbeModelAsync(options, cancellationToken);   // while Kestrel starts
        await MiniMeServer.StartAsync(app, urls, given is null ? "server.urls" : "--urls", cancellationToken);
        try
        {
            // The certificate first: whoever waits for the "is serving" line (a script, a test) has read it by then.
            if (app.Services.GetService<ServerCertificate>() is { } certificate)
            {
                Out.MarkupLine(Markup.Escape($"https uses {certificate.Source} ({certificate.Certificate.Subject}, valid until {certificate.Certificate.NotAfter.ToUniversalTime():yyyy-MM-dd})"));
                foreach (var warning in certificate.Warnings) Context.Error.WriteLine($"warning: {warning}");
            }
            foreach (var address in MiniMeServer.Addresses(app))
                Out.MarkupLine($"MiniMe is serving [bold]{Markup.Escape(workspace.Root)}[/] at [link]{Markup.Escape(address)}[/] (web UI /, API /v1, MCP /mcp, OpenAPI /openapi/v1.json, metrics /metrics)");
            if (exposed.Count > 0)
                Context.Error.WriteLine($"warning: listening beyond this machine ({string.Join(", ", exposed)}); every request still needs an API key" +
                    (exposed.All(u => u.StartsWith("https://", StringComparison.OrdinalIgnoreCase)) ? "." : ", but traffic is not encrypted unless you use https."));
            if (await model is { } unreachable)
            {
                Context.Error.WriteLine($"warning: the model is not reachable now: {unreachable.Message} The server runs meanwhile; /v1/chat answers 502 until the model answers.");
                if (verbose) Context.Error.WriteLine((unreachable.InnerException ?? unreachable).ToString());
            }
            if (!NamedModels.IsConfigured(options.Llm))
                Context.Error.WriteLine(NoModelNotice);
            if (ActionApproval.UntrustedReason(Context, workspace, options) is { } untrusted)
                Context.Error.WriteLine($"warning: approved actions execute nothing: {untrusted}.");
            if (app.Services.GetRequiredService<ApiKeyStore>().List(includeRevoked: false).Count == 0)
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
        }
        Context.Error.WriteLine("server stopped");
        return ExitCodes.Cancelled;   // serve ends only when stopped (Ctrl+C, SIGTERM)
    }

    /// <summary>Doctor's endpoint check of the default model, one quick attempt: the failure, or null when the model answers (or none is configured).</summary>
    private static async Task<MiniMeException?> ProbeModelAsync(MiniMeOptions options, CancellationToken cancellationToken)
    {
        try
        {
            // The default model (llm.provider, else the first of llm.models): the one calls go to unless routed elsewhere.
            var model = NamedModels.Default(options.Llm)?.Options ?? options.Llm;
            return await MiniMe.Providers.ProviderDoctor.ProbeEndpointAsync(model, TimeSpan.FromSeconds(3), cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (MiniMeException e)
        {
            return e;
        }
        catch (OperationCanceledException)
        {
            return null;   // stopping before the check ended: nothing to warn about
        }
    }

    private const string NoModelNotice =
        "No LLM provider is configured (llm.provider: none): /v1/chat answers 503 and /v1/ask is a dry run until you set llm.provider, llm.model and llm.endpoint (or MINIME_LLM__*) and restart; `minime doctor` checks the setup.";

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
