using System.Collections.Concurrent;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MiniMe.Server.Logging;
using MiniMe.Server.Tests.Support;
using MiniMe.Tracing;

namespace MiniMe.Server.Tests;

[Trait("Category", "Integration")]
public sealed class LoggingTests
{
    private const string ServerKey = "mm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-AbCdE";
    private const string UpstreamKey = "sk-proj-AbC123dEf456GhI789jKl012MnO345pQr678";

    [Fact]
    public async Task An_exception_carrying_keys_is_logged_redacted()
    {
        var log = new CapturingLoggerProvider();
        var model = new ScriptedChatClient().Enqueue(new ScriptedAnswer([])
        {
            Failure = new HttpRequestException($"401 from upstream: key {UpstreamKey} rejected, client sent Authorization: Bearer {ServerKey}"),
        });
        await using (var server = await TestServer.StartAsync(model, services: s => s.AddSingleton<ILoggerProvider>(log)))
        {
            var client = server.Client(server.CreateKey("k"));
            using var response = await client.PostAsJsonAsync("/v1/chat", new { message = "hi there" });
            await response.AssertProblemAsync(502);
        }
        var lines = string.Join("\n", log.Lines);
        Assert.Contains("POST /v1/chat answered 502", lines, StringComparison.Ordinal);   // an expected failure: one line (ServerLogPolicy)
        Assert.Contains("401 from upstream", lines, StringComparison.Ordinal);
        Assert.DoesNotContain(UpstreamKey[..16], lines, StringComparison.Ordinal);
        Assert.DoesNotContain(ServerKey[..16], lines, StringComparison.Ordinal);
        Assert.Contains(SecretRedactor.Mask, lines, StringComparison.Ordinal);
    }

    [Fact]
    public void Structured_values_and_scopes_are_redacted_too()
    {
        var log = new CapturingLoggerProvider();
        var collection = new ServiceCollection().AddLogging(b => b.AddProvider(log));
        RedactingLoggerProvider.DecorateAll(collection);
        using var provider = collection.BuildServiceProvider();
        var logger = provider.GetRequiredService<ILoggerFactory>().CreateLogger("test");
        using (logger.BeginScope("request with password=hunter2"))
            logger.LogWarning("connecting to {Url} as {User}", "postgres://app:s3cretPass@db/app", "app");
        var entry = Assert.Single(log.Entries);
        Assert.Equal("connecting to postgres://app:[REDACTED]@db/app as app", entry.Message);
        Assert.Equal("postgres://app:[REDACTED]@db/app", entry.Values["Url"]);
        Assert.Equal("connecting to {Url} as {User}", entry.Values["{OriginalFormat}"]);
        Assert.Equal(["request with password=[REDACTED]"], entry.Scopes);
    }

    /// <summary>Records what a provider is given: the message, the structured values, the scopes and the exception text.</summary>
    private sealed class CapturingLoggerProvider : ILoggerProvider, ISupportExternalScope
    {
        private IExternalScopeProvider? _scopes;

        public ConcurrentQueue<Entry> Entries { get; } = new();

        public IEnumerable<string> Lines => Entries.Select(e => e.Message + "\n" + e.Exception);

        public ILogger CreateLogger(string categoryName) => new Logger(this);

        public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

        public void Dispose()
        {
        }

        public sealed record Entry(string Message, string? Exception, IReadOnlyDictionary<string, object?> Values, IReadOnlyList<string> Scopes);

        private sealed class Logger(CapturingLoggerProvider owner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var values = (state as IEnumerable<KeyValuePair<string, object?>>)?.ToDictionary(p => p.Key, p => p.Value) ?? [];
                var scopes = new List<string>();
                owner._scopes?.ForEachScope((scope, list) => list.Add(scope?.ToString() ?? ""), scopes);
                owner.Entries.Enqueue(new Entry(formatter(state, exception), exception?.ToString(), values, scopes));
            }
        }
    }
}
