using System.Text.Json.Nodes;
using MiniMe.Tests.Support;
using Npgsql;

namespace MiniMe.Tests.Cli;

/// <summary>memory.traces: postgres through the CLI: runs are written to and read from PostgreSQL, and no trace file appears.</summary>
[Trait("Category", "Integration")]
[Collection(PostgresCollection.Name)]
public sealed class PostgresTracesCliTests(PostgresServerFixture server) : IDisposable
{
    private readonly TempDirectory _dir = new();

    private string Home => _dir.Combine(".minime");

    public void Dispose() => _dir.Dispose();

    private Task<CliResult> Minime(params string[] args) => CliRunner.RunAsync([.. args, "--home", Home]);

    [PostgresFact]
    public async Task Runs_trace_and_feedback_use_the_postgres_traces_and_write_no_trace_file()
    {
        var connectionString = await server.CreateDatabaseAsync();
        Assert.Equal(0, (await Minime("init", "--name", "nima")).ExitCode);
        var config = Path.Combine(Home, "config.yaml");
        await File.WriteAllTextAsync(config, (await File.ReadAllTextAsync(config))
            .Replace("store: sqlite", "store: postgres", StringComparison.Ordinal)
            .Replace("traces: files", "traces: postgres", StringComparison.Ordinal)
            .Replace("vectorSearch: auto", $"vectorSearch: auto\n  connectionString: \"{connectionString}\"", StringComparison.Ordinal)
            .Replace("model: minilm", "model: none", StringComparison.Ordinal));

        var ask = await Minime("ask", "--dry-run", "Add retries to the HTTP client");
        Assert.True(ask.ExitCode == 0, ask.Error + ask.Out);
        var runId = System.Text.RegularExpressions.Regex.Match(ask.Out, @"run_id: (\S+)").Groups[1].Value;
        Assert.NotEmpty(runId);

        var runs = await Minime("runs", "--json");
        Assert.True(runs.ExitCode == 0, runs.Error);
        Assert.Equal(runId, JsonNode.Parse(runs.Out)!.AsArray()[0]!["run_id"]!.GetValue<string>());
        var trace = await Minime("trace", runId, "--json");
        Assert.True(trace.ExitCode == 0, trace.Error);
        Assert.Contains("\"task_start\"", trace.Out, StringComparison.Ordinal);
        var feedback = await Minime("feedback", runId, "--delta", """{"rigor":0.9}""");
        Assert.True(feedback.ExitCode == 0, feedback.Error);

        Assert.Empty(Directory.Exists(Path.Combine(Home, "traces")) ? Directory.GetFiles(Path.Combine(Home, "traces")) : []);
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand("SELECT count(*) FROM trace_events WHERE run_id = $1 AND line LIKE '%\"feedback\"%'", connection);
        count.Parameters.AddWithValue(runId);
        Assert.Equal(1L, (long)(await count.ExecuteScalarAsync())!);

        var missing = await Minime("trace", "run-that-never-was");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("trace_events", missing.Error, StringComparison.Ordinal);
    }
}
