using System.Text.Json.Nodes;
using MiniMe.Tests.Support;
using MiniMe.Tracing;

namespace MiniMe.Tests.Context;

/// <summary>reuse_count: a run's context counts a use for each memory chunk it kept, through the real CLI in-process.</summary>
public sealed class ReuseCountTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    private string Home => _dir.Combine(".minime");

    private string Database => Path.Combine(Home, "memory.db");

    public void Dispose() => _dir.Dispose();

    private Task<CliResult> Minime(params string[] args) => CliRunner.RunAsync([.. args, "--home", Home]);

    [Fact]
    public async Task A_dry_run_ask_counts_a_reuse_for_exactly_the_memory_chunks_its_context_kept()
    {
        Assert.Equal(0, (await Minime("init", "--name", "Ada")).ExitCode);
        for (var i = 0; i < 12; i++)
            _dir.Write($"notes/n{i:D2}.md", $"Retry note {i}: " + string.Join(' ', Enumerable.Repeat($"retry backoff jitter attempt{i} policy detail", 30)));
        Assert.Equal(0, (await Minime("import", _dir.Combine("notes"))).ExitCode);

        var traces = new TraceStore(Path.Combine(Home, "traces"));
        var first = await DryRunAsync(traces);
        Assert.NotEmpty(first.Kept);
        Assert.NotEmpty(first.Dropped);   // the budget must leave some out for the test to mean anything
        Assert.Equal(first.Kept.Order(), ReusedChunks(1));
        Assert.Equal(first.Kept.Count, Convert.ToInt32(MemoryFile.Scalar(Database, "SELECT count(*) FROM chunks WHERE reuse_count > 0"), System.Globalization.CultureInfo.InvariantCulture));

        var second = await DryRunAsync(traces);
        var expected = first.Kept.Concat(second.Kept).GroupBy(id => id).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(expected.Where(e => e.Value == 2).Select(e => e.Key).Order(), ReusedChunks(2));
        Assert.Equal(expected.Where(e => e.Value == 1).Select(e => e.Key).Order(), ReusedChunks(1));
    }

    /// <summary>Runs `ask --dry-run` under a small budget; the memory chunks its context kept and dropped (from the trace).</summary>
    private async Task<(List<long> Kept, List<long> Dropped)> DryRunAsync(TraceStore traces)
    {
        var before = traces.List().Select(r => r.RunId).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(0, (await Minime("ask", "--dry-run", "--budget", "600", "retry backoff jitter policy")).ExitCode);
        var run = Assert.Single(traces.List(), r => !before.Contains(r.RunId));
        var blocks = traces.Read(run.RunId).Single(e => e.EventType == TraceEventTypes.ContextAssembly).Data["blocks"]!.AsArray()
            .Select(b => b!.AsObject()).Where(b => b["kind"]!.GetValue<string>() == "Memory").ToList();
        static long Id(JsonObject b) => long.Parse(b["id"]!.GetValue<string>()["memory:".Length..], System.Globalization.CultureInfo.InvariantCulture);
        return (blocks.Where(b => b["kept"]!.GetValue<bool>()).Select(Id).ToList(), blocks.Where(b => !b["kept"]!.GetValue<bool>()).Select(Id).ToList());
    }

    /// <summary>The ids of chunks used in exactly <paramref name="count"/> contexts.</summary>
    private List<long> ReusedChunks(int count)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection(new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder { DataSource = Database, Mode = Microsoft.Data.Sqlite.SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT id FROM chunks WHERE reuse_count = {count} ORDER BY id";
        var ids = new List<long>();
        using var reader = command.ExecuteReader();
        while (reader.Read()) ids.Add(reader.GetInt64(0));
        return ids;
    }
}
