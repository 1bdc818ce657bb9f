using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MiniMe.Configuration;
using MiniMe.Hosting;
using MiniMe.ModelCalls;
using MiniMe.Server.Ask;
using MiniMe.Server.Auth;
using MiniMe.Server.Chat;
using MiniMe.Server.Conversations;
using MiniMe.Server.Endpoints;
using MiniMe.Server.Facts;
using MiniMe.Server.Logging;
using MiniMe.Server.Metrics;
using MiniMe.Server.Problems;
using MiniMe.Server.Storage;
using MiniMe.Hosting.Users;
using OpenTelemetry.Metrics;

namespace MiniMe.Server;

/// <summary>
/// `minime serve`: the HTTP API and the web UI over one workspace. Everything under /v1, /metrics and
/// /openapi needs an API key; /health and the UI's static files do not. The engine is the CLI's:
/// <see cref="MiniMeServiceCollectionExtensions.AddMiniMe"/> over the workspace, one
/// <see cref="UserSpace"/> scope per API user.
/// </summary>
public static class MiniMeServer
{
    /// <param name="engine">Adjusts the engine's registrations (the trust file, a scripted model in tests).</param>
    /// <param name="configure">Runs last, so it can replace any registration.</param>
    /// <param name="verbose">Log every failure with its exception; otherwise expected ones are one line (<see cref="ServerLogPolicy"/>).</param>
    /// <exception cref="InvalidSettingsException">An https URL has no usable certificate (<see cref="ServerCertificate"/>).</exception>
    public static WebApplication Build(
        Workspace workspace,
        MiniMeOptions options,
        ServerOptions server,
        string? urls = null,
        Action<MiniMeBuilder>? engine = null,
        Action<IServiceCollection>? configure = null,
        LogLevel logLevel = LogLevel.Warning,
        bool verbose = false)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(server);
        var listen = urls ?? server.Urls;
        var https = ServerCertificate.HttpsUrls(listen);
        var certificate = https.Count > 0 ? ServerCertificate.Resolve(workspace, server, https[0]) : null;
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            EnvironmentName = Environments.Production,
            ContentRootPath = AppContext.BaseDirectory,
            WebRootPath = Path.Combine(AppContext.BaseDirectory, "wwwroot"),
        });
        builder.WebHost.UseKestrelCore().UseUrls(listen).ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = Math.Max(server.MaxRequestBytes, server.MaxImportBytes);
            if (certificate is not null) kestrel.ConfigureHttpsDefaults(h => h.ServerCertificate = certificate.Certificate);
        });
        // The empty builder leaves https out; with it, an https URL takes the certificate set above.
        if (certificate is not null) builder.WebHost.UseKestrelHttpsConfiguration();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(logLevel);

        var services = builder.Services;
        services.AddSingleton(server);
        services.AddSingleton(new ServerLogPolicy(verbose));
        if (certificate is not null) services.AddSingleton(certificate);
        var miniMe = services.AddMiniMe(workspace, options).UseHostTelemetry().LongRunning().AddPersonalLayer();
        engine?.Invoke(miniMe);
        AddServices(services, server);
        Mcp.McpRegistration.AddHttp(services, workspace);
        configure?.Invoke(services);
        RedactingLoggerProvider.DecorateAll(services);

        var app = builder.Build();
        app.UseMiddleware<SecurityHeadersMiddleware>();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseDefaultFiles();
        app.UseStaticFiles();
        app.UseRouting();
        app.UseMiddleware<RequestMetricsMiddleware>();
        app.UseAuthentication();
        app.UseRateLimiter();
        app.UseAuthorization();
        app.UseMiddleware<RequestBodyLimitMiddleware>();
        MapEndpoints(app, server);
        return app;
    }

    /// <summary>
    /// Starts the server; a failure to listen (the port in use, an address not this machine's) is one
    /// <see cref="ServerStartException"/> line naming the URL and <paramref name="setting"/> (--urls or server.urls).
    /// </summary>
    public static async Task StartAsync(WebApplication app, string urls, string setting, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(app);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException && ServerStartException.Translate(e, urls, setting) is { } translated)
        {
            throw translated;
        }
    }

    /// <summary>The addresses Kestrel listens on (after start; port 0 resolves to the chosen port).</summary>
    public static IReadOnlyList<string> Addresses(WebApplication app) =>
        [.. app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? []];

    /// <summary>What only the HTTP face has; the engine and the personal layer are registered by then.</summary>
    private static void AddServices(IServiceCollection services, ServerOptions server)
    {
        services.AddRoutingCore();
        services.AddSingleton<Indexing.VectorFillService>();
        services.AddHostedService(sp => sp.GetRequiredService<Indexing.VectorFillService>());
        // Runs due schedules (the CLI's `schedule run-now` runs one through the same ScheduleService, without this).
        services.AddSingleton<Schedules.SchedulerService>();
        services.AddHostedService(sp => sp.GetRequiredService<Schedules.SchedulerService>());

        services.AddProblemDetails(o => o.CustomizeProblemDetails = ProblemDefaults.Fill);
        services.AddExceptionHandler<ExceptionProblems>();
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.Configure<JsonOptions>(o => ApiJson.Apply(o.SerializerOptions));

        // Nothing is encrypted for later (no cookies): in-memory keys, no key ring written to the home folder.
        services.AddSingleton<IDataProtectionProvider, EphemeralDataProtectionProvider>();
        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorization(o => o.FallbackPolicy = new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
        services.AddRateLimiter(o => ConfigureRateLimits(o, server));
        services.AddOpenApi(o => o.AddDocumentTransformer<BearerSecurityTransformer>());
        var telemetry = services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(ServerMetrics.MeterName, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel")
            .AddMiniMeMetrics()
            .AddPrometheusExporter());
        if (MiniMeTelemetry.OtlpEnabled()) telemetry.WithTracing(tracing => tracing.AddMiniMeTracing());
    }

    /// <summary>A fixed window per API key; requests without a valid key are limited per client address.</summary>
    private static void ConfigureRateLimits(RateLimiterOptions options, ServerOptions server)
    {
        var window = TimeSpan.FromSeconds(server.RateLimitWindowSeconds);
        options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
        {
            var partition = context.User.KeyId() is { } keyId ? "key:" + keyId : "address:" + context.Connection.RemoteIpAddress;
            return RateLimitPartition.GetFixedWindowLimiter(partition, _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = server.RateLimitPermits,
                Window = window,
                QueueLimit = 0,
                AutoReplenishment = true,
            });
        });
        options.OnRejected = async (context, _) =>
        {
            var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : window;
            var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
            context.HttpContext.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            await ProblemResponses.WriteAsync(context.HttpContext, StatusCodes.Status429TooManyRequests, "Too many requests",
                $"The limit is {server.RateLimitPermits} requests per {server.RateLimitWindowSeconds} s per API key (server.rateLimitPermits); retry in {seconds} s.").ConfigureAwait(false);
        };
    }

    private static void MapEndpoints(WebApplication app, ServerOptions server)
    {
        app.MapGet("/health", () => TypedResults.Ok(new HealthResponse("ok")))
            .AllowAnonymous().DisableRateLimiting().WithTags("Health").WithSummary("Liveness; needs no API key");
        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapPrometheusScrapingEndpoint("/metrics");
        var v1 = app.MapGroup("/v1");
        ChatEndpoints.Map(v1);
        MemoryEndpoints.Map(v1, server);
        RunEndpoints.Map(v1);
        AskEndpoints.Map(v1, server);
        PackEndpoints.Map(v1);
        GoalEndpoints.Map(v1);
        ScheduleEndpoints.Map(v1);
        Mcp.McpRegistration.Map(app, server);
        SignalEndpoints.Map(v1);
        ReflectEndpoints.Map(v1);
        EvidenceEndpoints.Map(v1);
        v1.MapGet("/me", (System.Security.Claims.ClaimsPrincipal user, UserSpaces spaces, ChatService chat) =>
            {
                var space = spaces.Get(user.UserId());
                return TypedResults.Ok(new MeResponse(space.UserId, user.Identity?.Name, space.IsOwner, chat.HasModel));
            })
            .WithTags("Health").WithSummary("Who this API key belongs to, and whether a chat model is configured");
    }
}

public sealed record HealthResponse(string Status);

public sealed record MeResponse(string UserId, string? KeyName, bool WorkspaceOwner, bool ChatModel);
