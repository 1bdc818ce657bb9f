using System.Text.Json.Nodes;
using MiniMe.Storage.Postgres;
using MiniMe.Tests.Support;
using MiniMe.Tracing;

namespace MiniMe.Tests.Tracing;

/// <summary>
/// What every <see cref="ITraceLog"/> must do, through the <see cref="TraceStore"/> that formats and
/// redacts the lines: the folder of JSONL files and the PostgreSQL table (memory.traces: postgres).
/// </summary>
public abstract class TraceLogContractTests : IAsyncLifetime
{
    protected abstract Task<ITraceLog> CreateLogAsync();

    private readonly List<ITraceLog> _logs = [];

    private async Task<TraceStore> StoreAsync()
    {
        var log = await CreateLogAsync();
        _logs.Add(log);
        return new TraceStore(log);
    }

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync()
    {
        foreach (var log in _logs)
            if (log is IAsyncDisposable disposable) await disposable.DisposeAsync();
    }

    [StoreFact]
    public async Task Events_come_back_in_order_and_the_run_is_listed_with_its_status()
    {
        var store = await StoreAsync();
        Assert.False(store.Exists("run-a"));
        store.Append("run-a", TraceEventTypes.TaskStart, new JsonObject { ["task"] = "write the parser", ["domain"] = "code" });
        store.Append("run-a", TraceEventTypes.AgentCall, new JsonObject { ["agent"] = "architect" });
        store.Append("run-a", TraceEventTypes.RunEnd, new JsonObject { ["status"] = "ok", ["total_tokens"] = 42 });
        store.Append("run-b", TraceEventTypes.TaskStart, new JsonObject { ["task"] = "second" });

        Assert.True(store.Exists("run-a"));
        Assert.Equal([TraceEventTypes.TaskStart, TraceEventTypes.AgentCall, TraceEventTypes.RunEnd], store.Read("run-a").Select(e => e.EventType));
        var runs = store.List();
        Assert.Equal(["run-b", "run-a"], runs.Select(r => r.RunId));
        var a = runs[1];
        Assert.Equal(("write the parser", "code", "ok", 3, 42L), (a.Task, a.Domain, a.Status, a.Events, a.TotalTokens ?? 0));
        Assert.Equal("incomplete", runs[0].Status);
        Assert.Single(store.List(limit: 1));
    }

    [StoreFact]
    public async Task A_missing_run_is_not_found_and_a_hostile_run_id_is_refused()
    {
        var store = await StoreAsync();
        var missing = Assert.Throws<NotFoundException>(() => store.Read("run-none"));
        Assert.Contains("minime runs", missing.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidInputException>(() => store.Append("../escape", TraceEventTypes.TaskStart, new JsonObject()));
        Assert.Throws<InvalidInputException>(() => store.Read("x'; DROP TABLE trace_events; --"));
        Assert.False(store.Exists("../escape"));
    }

    [StoreFact]
    public async Task Secrets_are_redacted_before_they_are_stored()
    {
        var store = await StoreAsync();
        store.Append("run-s", TraceEventTypes.AgentCall, new JsonObject { ["api_key"] = "plain-value", ["prompt"] = "use sk-abcdefghijklmnopqrstuvwx1234" });
        var data = store.Read("run-s")[0].Data.ToJsonString();
        Assert.DoesNotContain("plain-value", data, StringComparison.Ordinal);
        Assert.DoesNotContain("sk-abcdef", data, StringComparison.Ordinal);
        Assert.Contains(SecretRedactor.Mask, data, StringComparison.Ordinal);
    }

    [StoreFact]
    public async Task Two_writers_appending_to_one_run_at_once_lose_no_line_and_keep_each_writers_order()
    {
        var first = await StoreAsync();
        var second = await StoreAsync();   // its own connection pool: as another process would be
        const int each = 60;
        await Task.WhenAll(
            Task.Run(() => { for (var i = 0; i < each; i++) first.Append("run-c", "step", new JsonObject { ["writer"] = "a", ["i"] = i }); }),
            Task.Run(() => { for (var i = 0; i < each; i++) second.Append("run-c", "step", new JsonObject { ["writer"] = "b", ["i"] = i }); }));

        var events = first.Read("run-c");
        Assert.Equal(2 * each, events.Count);
        foreach (var writer in new[] { "a", "b" })
            Assert.Equal(Enumerable.Range(0, each), events.Where(e => e.Data["writer"]!.GetValue<string>() == writer).Select(e => e.Data["i"]!.GetValue<int>()));
    }
}

public sealed class FileTraceLogTests : TraceLogContractTests, IDisposable
{
    private readonly TempDirectory _dir = new();

    protected override Task<ITraceLog> CreateLogAsync() => Task.FromResult<ITraceLog>(new FileTraceLog(_dir.Path));

    public void Dispose() => _dir.Dispose();
}

[Trait("Category", "Integration")]
[Collection(PostgresCollection.Name)]
[RequiresPostgres]
public sealed class PostgresTraceLogTests(PostgresServerFixture server) : TraceLogContractTests
{
    private string _connectionString = "";

    public override async Task InitializeAsync() => _connectionString = await server.CreateDatabaseAsync();

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await server.DropDatabaseAsync(_connectionString);
    }

    protected override Task<ITraceLog> CreateLogAsync() => Task.FromResult<ITraceLog>(new PostgresTraceLog(_connectionString));

    [StoreFact]
    public async Task Each_users_schema_holds_only_that_users_runs()
    {
        await using var ann = new PostgresTraceLog(_connectionString, "minime_user_ann_1");
        await using var bob = new PostgresTraceLog(_connectionString, "minime_user_bob_2");
        new TraceStore(ann).Append("run-ann", TraceEventTypes.TaskStart, new JsonObject { ["task"] = "ann's" });
        new TraceStore(bob).Append("run-bob", TraceEventTypes.TaskStart, new JsonObject { ["task"] = "bob's" });
        Assert.Equal(["run-ann"], new TraceStore(ann).List().Select(r => r.RunId));
        Assert.False(new TraceStore(bob).Exists("run-ann"));
        Assert.Contains("minime_user_bob_2", bob.Location, StringComparison.Ordinal);
    }

    [StoreFact]
    public async Task An_unreachable_server_is_one_line_naming_the_endpoint_and_no_password()
    {
        await using var log = new PostgresTraceLog("Host=127.0.0.1;Port=1;Username=ann;Password=hunter2;Timeout=2");
        var error = Assert.Throws<PostgresUnavailableException>(() => new TraceStore(log).Append("run-x", TraceEventTypes.TaskStart, new JsonObject()));
        Assert.Contains("host=127.0.0.1 port=1", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }
}
