using System.Diagnostics;
using System.Text.Json.Nodes;
using MiniMe.Configuration;
using MiniMe.Snapshots;
using MiniMe.Storage.Sqlite;
using MiniMe.Tests.Support;

namespace MiniMe.Tests.Snapshots;

/// <summary>
/// A `snapshot create` killed with SIGKILL leaves its staging folder; the next snapshot command removes
/// it, but never the staging folder of a snapshot still running in another process.
/// </summary>
[Trait("Category", "Integration")]
public sealed class StaleStagingTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    private string Home => _dir.Combine(".minime");

    private string SnapshotsDirectory => Path.Combine(Home, "snapshots");

    public void Dispose() => _dir.Dispose();

    private async Task<CliResult> Ok(params string[] args)
    {
        var result = await CliRunner.RunAsync([.. args, "--home", Home]);
        Assert.True(result.ExitCode == 0, $"minime {string.Join(' ', args)} exited {result.ExitCode}: {result.Error}");
        return result;
    }

    /// <summary>A workspace whose snapshot takes a while: thousands of trace files to copy and checksum.</summary>
    private async Task BuildAsync()
    {
        await Ok("init", "--name", "Ada");
        await Ok("remember", "prefers dark mode");
        var line = "{\"type\":\"run_start\",\"data\":\"" + new string('x', 1500) + "\"}\n";
        for (var i = 0; i < 4000; i++)
            File.WriteAllText(Path.Combine(Home, "traces", $"run-{i:D5}.jsonl"), line + line);
        Directory.CreateDirectory(SnapshotsDirectory);
    }

    /// <summary>
    /// Starts `minime snapshot create NAME` as a child process and waits until its staging folder exists; with
    /// <paramref name="killOnSight"/> it sends SIGKILL the moment it sees it. The watch runs on a thread of its
    /// own, polling every millisecond: a thread-pool continuation can be starved for longer than the whole
    /// snapshot takes while the rest of the suite runs on two cores, and then the staging folder came and went
    /// unseen.
    /// </summary>
    private static async Task<(Process Process, string Staging)> StartSnapshotAsync(string name, string home, string snapshots, bool killOnSight = false)
    {
        var process = Process.Start(MinimeProcess.StartInfo(["snapshot", "create", name, "--home", home]))!;
        process.StandardInput.Close();
        var (staging, caughtRunning) = await Task.Factory.StartNew(() =>
        {
            var deadline = Stopwatch.StartNew();
            string[] found;
            while ((found = Directory.GetDirectories(snapshots, $".staging-{name}-*")).Length == 0 && !process.HasExited && deadline.Elapsed < TimeSpan.FromMinutes(2))
                Thread.Sleep(1);
            var running = !process.HasExited;
            if (killOnSight && found.Length > 0 && running) process.Kill(); // SIGKILL on Unix: no handler, no finally block runs
            return (found, running);
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        Assert.False(staging.Length == 0, $"no staging folder appeared (exited: {process.HasExited}{(process.HasExited ? $", code {process.ExitCode}" : "")}); grow the workspace");
        Assert.True(caughtRunning, "the snapshot finished before it could be caught mid-way; grow the workspace");
        return (process, staging[0]);
    }

    [Fact]
    public async Task A_snapshot_killed_with_SIGKILL_leaves_staging_that_the_next_snapshot_command_removes()
    {
        await BuildAsync();
        var (process, staging) = await StartSnapshotAsync("killed", Home, SnapshotsDirectory, killOnSight: true);
        using (process) await process.WaitForExitAsync();
        Assert.True(Directory.Exists(staging), "the killed snapshot should have left its staging folder behind");

        var list = JsonNode.Parse((await Ok("snapshot", "list", "--json")).Out)!.AsArray();

        Assert.Empty(list);
        Assert.Empty(Directory.GetFileSystemEntries(SnapshotsDirectory, ".staging-*"));
        await Ok("snapshot", "create", "killed");
        Assert.Empty(Directory.GetFileSystemEntries(SnapshotsDirectory, ".staging-*"));
    }

    [Fact]
    public async Task A_snapshot_running_in_another_process_keeps_its_staging_while_another_snapshot_command_cleans_up()
    {
        await BuildAsync();
        Directory.CreateDirectory(Path.Combine(SnapshotsDirectory, ".staging-abandoned-0123"));
        var (process, staging) = await StartSnapshotAsync("running", Home, SnapshotsDirectory);
        using (process)
        {
            await Ok("snapshot", "list");

            // Gone only if published: the rename makes the final folder exist before the staging one is missing.
            Assert.True(Directory.Exists(staging) || Directory.Exists(Path.Combine(SnapshotsDirectory, "running")), "the running snapshot lost its staging folder");
            Assert.False(Directory.Exists(Path.Combine(SnapshotsDirectory, ".staging-abandoned-0123")));
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            Assert.True(process.ExitCode == 0, $"the running snapshot failed: {await error}{await output}");
        }
        var manifest = await new SnapshotService(new Workspace(Home), new SqliteDatabaseSnapshotter(Path.Combine(Home, "memory.db")))
            .VerifyAsync("running", CancellationToken.None);
        Assert.Equal(4000, manifest.Counts["traces"]);
        Assert.Empty(Directory.GetFileSystemEntries(SnapshotsDirectory, ".staging-*"));
    }

    [Fact]
    public void Staging_whose_lock_is_held_is_kept_and_staging_without_a_living_owner_is_removed()
    {
        var workspace = new Workspace(Home);
        WorkspaceInitializer.Initialize(workspace, "Ada", force: false);
        var service = new SnapshotService(workspace, new SqliteDatabaseSnapshotter(Path.Combine(Home, "memory.db")));
        var live = Path.Combine(SnapshotsDirectory, ".staging-live-1");
        var dead = Path.Combine(SnapshotsDirectory, ".staging-dead-2");
        var unlocked = Path.Combine(SnapshotsDirectory, ".staging-old-3");
        foreach (var folder in new[] { live, dead, unlocked }) Directory.CreateDirectory(folder);
        File.WriteAllText(dead + ".lock", "pid 1\n");
        File.WriteAllText(Path.Combine(SnapshotsDirectory, ".staging-orphan-4.lock"), "pid 1\n");
        // The owner of "live" holds its lock exactly as a running snapshot does.
        using var owner = new FileStream(live + ".lock", FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None);

        var removed = service.RemoveStaleStaging();

        Assert.Equal(2, removed);
        Assert.True(Directory.Exists(live));
        Assert.True(File.Exists(live + ".lock"));
        Assert.False(Directory.Exists(dead));
        Assert.False(File.Exists(dead + ".lock"));
        Assert.False(Directory.Exists(unlocked));
        Assert.False(File.Exists(Path.Combine(SnapshotsDirectory, ".staging-orphan-4.lock")));
    }
}
