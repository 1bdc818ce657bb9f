using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MiniMe.Server;
using MiniMe.Server.Chat;
using MiniMe.Server.Conversations;

namespace MiniMe.Bench.Server;

/// <summary>
/// The floors of <see cref="ServerBenchmark"/>: ASP.NET Core minimal APIs on loopback in the bench
/// process (as MiniMe's server is), answering POST /v1/chat with MiniMe's JSON shape (the same sources).
/// <see cref="Durable"/> does a turn's durable I/O the simplest way and nothing else: the user's message
/// inserted into a SQLite table (WAL, synchronous NORMAL, as server.db) and committed before the answer,
/// the assistant's message inserted, and the turn's trace lines (as many and as long as MiniMe's) written
/// to a file of the turn's own and fsync'ed once before the response. Writes take turns behind one lock
/// in the process, so they never wait on SQLite's busy handler. <see cref="Bare"/> does no I/O at all.
/// </summary>
internal sealed class ChatFloor : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _directory;

    private ChatFloor(WebApplication app, string directory)
    {
        _app = app;
        _directory = directory;
    }

    public Uri Address => new(MiniMeServer.Addresses(_app)[0]);

    /// <param name="sample">A reply of MiniMe's: its sources and texts are returned again, with fresh ids.</param>
    /// <param name="traceLines">A turn's trace as MiniMe wrote it: the floor writes lines of the same count and sizes.</param>
    public static Task<ChatFloor> Durable(string directory, ChatReply sample, IReadOnlyList<string> traceLines, CancellationToken cancellationToken) =>
        StartAsync(directory, sample, traceLines, durable: true, cancellationToken);

    public static Task<ChatFloor> Bare(string directory, ChatReply sample, CancellationToken cancellationToken) =>
        StartAsync(directory, sample, [], durable: false, cancellationToken);

    private static async Task<ChatFloor> StartAsync(string directory, ChatReply sample, IReadOnlyList<string> traceLines, bool durable, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production });
        builder.WebHost.UseKestrelCore().UseUrls("http://127.0.0.1:0").ConfigureKestrel(k => k.AddServerHeader = false);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddRoutingCore();
        builder.Services.Configure<JsonOptions>(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            o.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        });
        var app = builder.Build();
        app.UseRouting();
        if (durable)
        {
            var store = new Store(Path.Combine(directory, "floor.db"), Path.Combine(directory, "traces"), traceLines);
            app.MapPost("/v1/chat", (ChatRequest request) => store.Turn(request, sample));
        }
        else
        {
            var next = 0L;
            app.MapPost("/v1/chat", (ChatRequest request) =>
            {
                var id = Interlocked.Increment(ref next);
                return TypedResults.Ok(sample with
                {
                    ConversationId = "c_" + id.ToString("x16", System.Globalization.CultureInfo.InvariantCulture),
                    Message = sample.Message with { Id = id, CreatedAt = DateTimeOffset.UtcNow },
                });
            });
        }
        await app.StartAsync(cancellationToken);
        return new ChatFloor(app, directory);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private sealed class Store
    {
        private readonly string _connectionString;
        private readonly string _traces;
        private readonly byte[] _traceBytes;
        private readonly Lock _writer = new();
        private long _turns;

        public Store(string path, string traces, IReadOnlyList<string> traceLines)
        {
            _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true }.ToString();
            _traces = traces;
            Directory.CreateDirectory(traces);
            _traceBytes = Encoding.UTF8.GetBytes(string.Concat(traceLines.Select(l => l + "\n")));
            using var connection = Open();
            using var command = connection.CreateCommand();
            command.CommandText = """
                PRAGMA journal_mode = WAL;
                CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY, conversation_id TEXT NOT NULL, role TEXT NOT NULL, content TEXT NOT NULL, created_at TEXT NOT NULL);
                """;
            command.ExecuteNonQuery();
        }

        public IResult Turn(ChatRequest request, ChatReply sample)
        {
            var turn = Interlocked.Increment(ref _turns);
            var conversationId = "c_" + turn.ToString("x16", System.Globalization.CultureInfo.InvariantCulture);
            var runId = sample.RunId + "-" + turn.ToString(System.Globalization.CultureInfo.InvariantCulture);
            using var connection = Open();
            Insert(connection, conversationId, ChatRoles.User, request.Message ?? "");
            var id = Insert(connection, conversationId, ChatRoles.Assistant, sample.Message.Content);
            using (var trace = new FileStream(Path.Combine(_traces, runId + ".jsonl"), FileMode.CreateNew, FileAccess.Write, FileShare.Read))
            {
                trace.Write(_traceBytes);
                trace.Flush(flushToDisk: true);
            }
            return TypedResults.Ok(sample with
            {
                ConversationId = conversationId,
                RunId = runId,
                Message = sample.Message with { Id = id, CreatedAt = DateTimeOffset.UtcNow, RunId = runId },
            });
        }

        private SqliteConnection Open()
        {
            var connection = new SqliteConnection(_connectionString);
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA synchronous = NORMAL";
            command.ExecuteNonQuery();
            return connection;
        }

        private long Insert(SqliteConnection connection, string conversationId, string role, string content)
        {
            using var command = connection.CreateCommand();
            command.CommandText = "INSERT INTO messages (conversation_id, role, content, created_at) VALUES ($c, $r, $t, $at) RETURNING id";
            command.Parameters.AddWithValue("$c", conversationId);
            command.Parameters.AddWithValue("$r", role);
            command.Parameters.AddWithValue("$t", content);
            command.Parameters.AddWithValue("$at", DateTime.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
            lock (_writer) return (long)command.ExecuteScalar()!;
        }
    }
}
