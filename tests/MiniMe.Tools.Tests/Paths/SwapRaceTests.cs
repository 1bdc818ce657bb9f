using System.Text.Json.Nodes;
using MiniMe.Tools.Approval;
using MiniMe.Tools.BuiltIn;
using MiniMe.Tools.Paths;
using MiniMe.Tools.Tests.Support;
using Xunit.Abstractions;

namespace MiniMe.Tools.Tests.Paths;

/// <summary>
/// The check-then-use race: src/d is a real directory, src/d-swap a link to a folder outside the root
/// holding a file of the same name, and a background thread exchanges the two names (renameat2
/// RENAME_EXCHANGE) as fast as it can while the tools read and write src/d/f.txt. Whatever the
/// interleaving, each operation must act on the inside file or be refused / fail with one clean line,
/// and the outside folder must end exactly as it began.
/// </summary>
public sealed class SwapRaceTests(ITestOutputHelper output) : IDisposable
{
    private const int Iterations = 150;
    private const string OutsideText = "OUTSIDE SECRET\n";
    private readonly ToolWorkspace _w = new();

    public void Dispose() => _w.Dispose();

    private string RaceOutside => Path.Join(_w.Outside, "race");

    private void Arrange()
    {
        _w.Write("src/d/f.txt", "inside 0\n");
        Directory.CreateDirectory(RaceOutside);
        File.WriteAllText(Path.Join(RaceOutside, "f.txt"), OutsideText);
        File.CreateSymbolicLink(_w.PathOf("src/d-swap"), RaceOutside);
    }

    [Fact]
    public async Task Reads_writes_and_searches_under_a_directory_swapped_with_a_link_never_reach_outside()
    {
        Arrange();
        var outsideBefore = OutsideSnapshot();
        var counts = new Dictionary<string, int>();
        string? lastWritten = null;
        using (var swapper = new Swapper(_w.PathOf("src/d"), _w.PathOf("src/d-swap")))
        {
            for (var i = 0; i < Iterations; i++)
            {
                var read = await _w.RunAsync("read_file", """{"path": "src/d/f.txt"}""");
                Count(counts, "read", read);
                AssertClean(read);
                if (read.Status == OutcomeStatus.Succeeded)
                    Assert.StartsWith("inside ", read.Execution!.Output["content"]!.GetValue<string>(), StringComparison.Ordinal);

                var content = $"inside {i + 1}\n";
                var write = await _w.RunAsync("write_file", new JsonObject { ["path"] = "src/d/f.txt", ["content"] = content });
                Count(counts, "write", write);
                AssertClean(write);
                if (write.Status == OutcomeStatus.Succeeded) lastWritten = content;

                if (i % 3 == 0)
                {
                    var search = await _w.RunAsync("search_repo", """{"query": "SECRET|inside", "regex": true, "path": "src"}""");
                    Count(counts, "search", search);
                    AssertClean(search);
                    if (search.Status == OutcomeStatus.Succeeded)
                        Assert.All(search.Execution!.Output["matches"]!.AsArray(), m => Assert.StartsWith("inside ", m!["text"]!.GetValue<string>(), StringComparison.Ordinal));
                }
            }
            output.WriteLine($"{swapper.Stop()} swaps; {string.Join(", ", counts.OrderBy(c => c.Key).Select(c => $"{c.Key}: {c.Value}"))}");
        }
        Assert.Equal(outsideBefore, OutsideSnapshot());
        Assert.Equal(OutsideText, File.ReadAllText(Path.Join(RaceOutside, "f.txt")));
        // Every successful write replaced the inside file, in order: the last one is what it holds.
        Assert.Equal(lastWritten ?? "inside 0\n", File.ReadAllText(_w.PathOf("src/d/f.txt")));
        Assert.Empty(Directory.GetFiles(_w.Base, "*.minime-*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Write_file_creating_directories_under_a_swapped_parent_never_creates_them_outside()
    {
        Arrange();
        var outsideBefore = OutsideSnapshot();
        var created = new List<int>();
        var counts = new Dictionary<string, int>();
        using (var swapper = new Swapper(_w.PathOf("src/d"), _w.PathOf("src/d-swap")))
        {
            for (var i = 0; i < Iterations; i++)
            {
                var write = await _w.RunAsync("write_file", new JsonObject { ["path"] = $"src/d/new{i}/deeper/x.txt", ["content"] = $"new {i}\n" });
                Count(counts, "write", write);
                AssertClean(write);
                if (write.Status == OutcomeStatus.Succeeded) created.Add(i);
            }
            output.WriteLine($"{swapper.Stop()} swaps; {string.Join(", ", counts.Select(c => $"{c.Key}: {c.Value}"))}");
        }
        Assert.Equal(outsideBefore, OutsideSnapshot());
        Assert.All(created, i => Assert.Equal($"new {i}\n", File.ReadAllText(_w.PathOf($"src/d/new{i}/deeper/x.txt"))));
    }

    [Fact]
    public void The_component_walk_fallback_holds_the_same_race()
    {
        Arrange();
        var outsideBefore = OutsideSnapshot();
        var files = new ConfinedFiles(_w.Host.Root, useOpenat2: false);
        var paths = _w.Host.Context.Paths;
        var limit = _w.Options.Tools.MaxFileBytes;
        var counts = new Dictionary<string, int>();
        string? lastWritten = null;
        using (var swapper = new Swapper(_w.PathOf("src/d"), _w.PathOf("src/d-swap")))
        {
            for (var i = 0; i < Iterations; i++)
            {
                var read = Attempt(() => Assert.StartsWith("inside ", FileText.ReadOrNull(files, paths.Check("src/d/f.txt", PathAccess.Read), limit), StringComparison.Ordinal));
                counts[$"read {read}"] = counts.GetValueOrDefault($"read {read}") + 1;

                var content = $"inside {i + 1}\n";
                var write = Attempt(() =>
                {
                    var path = paths.Check("src/d/f.txt", PathAccess.Write);
                    FileText.Write(files, path, content, FileText.ReadOrNull(files, path, limit), limit);
                });
                counts[$"write {write}"] = counts.GetValueOrDefault($"write {write}") + 1;
                if (write == "ok") lastWritten = content;

                var create = Attempt(() => FileText.Write(files, paths.Check($"src/d/made{i}/x.txt", PathAccess.Write), "made\n", null, limit));
                counts[$"create {create}"] = counts.GetValueOrDefault($"create {create}") + 1;
            }
            output.WriteLine($"{swapper.Stop()} swaps; {string.Join(", ", counts.OrderBy(c => c.Key).Select(c => $"{c.Key}: {c.Value}"))}");
        }
        Assert.Equal(outsideBefore, OutsideSnapshot());
        Assert.Equal(lastWritten ?? "inside 0\n", File.ReadAllText(_w.PathOf("src/d/f.txt")));
    }

    [Fact]
    public async Task A_directory_swapped_for_a_link_after_the_diff_was_shown_is_not_written_through()
    {
        Arrange();
        var outsideBefore = OutsideSnapshot();
        var gate = new Approval.CallbackGate(_ =>
        {
            LinuxFiles.Exchange(_w.PathOf("src/d"), _w.PathOf("src/d-swap"));
            return new ApprovalDecision.Accept(Approvers.User);
        });
        var write = await _w.RunAsync("write_file", """{"path": "src/d/f.txt", "content": "pwned\n"}""", ApprovalMode.Interactive, gate);
        LinuxFiles.Exchange(_w.PathOf("src/d"), _w.PathOf("src/d-swap"));   // the real directory back, for the patch to be shown on
        var patch = await _w.RunAsync("apply_patch", new JsonObject { ["patch"] = "--- a/src/d/f.txt\n+++ b/src/d/f.txt\n@@ -1 +1 @@\n-inside 0\n+pwned\n" }, ApprovalMode.Interactive, gate);
        LinuxFiles.Exchange(_w.PathOf("src/d"), _w.PathOf("src/d-swap"));

        const string Refusal = "'src/d' is a symbolic link now (swapped after the path was checked?); tools never follow links when opening files.";
        Assert.Equal(2, gate.Requests.Count);
        Assert.Equal((OutcomeStatus.Refused, Refusal), (write.Status, write.Message));
        Assert.Equal((OutcomeStatus.Refused, Refusal), (patch.Status, patch.Message));
        Assert.Equal(outsideBefore, OutsideSnapshot());
        Assert.Equal("inside 0\n", File.ReadAllText(_w.PathOf("src/d/f.txt")));
    }

    [Fact]
    public void A_read_checked_before_a_swap_is_refused_after_it()
    {
        Arrange();
        var path = _w.Host.Context.Paths.Check("src/d/f.txt", PathAccess.Read);
        LinuxFiles.Exchange(_w.PathOf("src/d"), _w.PathOf("src/d-swap"));

        foreach (var files in new[] { new ConfinedFiles(_w.Host.Root), new ConfinedFiles(_w.Host.Root, useOpenat2: false) })
        {
            var refused = Assert.Throws<ToolRefusedException>(() => FileText.ReadOrNull(files, path, 1024));
            Assert.Equal("'src/d' is a symbolic link now (swapped after the path was checked?); tools never follow links when opening files.", refused.Message);
        }
    }

    private static string Attempt(Action action)
    {
        try
        {
            action();
            return "ok";
        }
        catch (ToolRefusedException e)
        {
            Assert.DoesNotContain('\n', e.Message);
            return "refused";
        }
        catch (ToolFailedException e)
        {
            Assert.DoesNotContain('\n', e.Message);
            return "failed";
        }
    }

    private static void AssertClean(ActionOutcome outcome)
    {
        Assert.True(outcome.Status is OutcomeStatus.Succeeded or OutcomeStatus.Refused or OutcomeStatus.Failed, $"{outcome.Status}: {outcome.Message}");
        Assert.DoesNotContain('\n', outcome.Message);
        Assert.DoesNotContain("SECRET", outcome.Message, StringComparison.Ordinal);
    }

    private static void Count(Dictionary<string, int> counts, string what, ActionOutcome outcome)
    {
        // Refusals by the path check (the link was there when the path was resolved) and by the open (it appeared after).
        var by = outcome.Status == OutcomeStatus.Refused ? outcome.Message.Contains("resolves to", StringComparison.Ordinal) ? " at check" : " at open" : "";
        var key = $"{what} {outcome.Status.ToString().ToLowerInvariant()}{by}";
        counts[key] = counts.GetValueOrDefault(key) + 1;
    }

    private SortedDictionary<string, string> OutsideSnapshot() =>
        new(_w.Snapshot().Where(e => e.Key == "outside" || e.Key.StartsWith("outside" + Path.DirectorySeparatorChar, StringComparison.Ordinal)).ToDictionary(), StringComparer.Ordinal);

    /// <summary>Exchanges two names on a background thread until stopped; on stop, puts them back as they began.</summary>
    private sealed class Swapper : IDisposable
    {
        private readonly string _a;
        private readonly string _b;
        private readonly Thread _thread;
        private readonly ManualResetEventSlim _started = new();
        private volatile bool _stop;
        private long _swaps;
        private Exception? _failure;

        public Swapper(string a, string b)
        {
            _a = a;
            _b = b;
            _thread = new Thread(Run) { IsBackground = true, Name = "swapper" };
            _thread.Start();
            _started.Wait();
        }

        /// <summary>Stops, restores the original names and returns how many exchanges were made.</summary>
        public long Stop()
        {
            _stop = true;
            _thread.Join();
            if (_failure is not null) throw new InvalidOperationException("the swapper failed", _failure);
            if (_swaps % 2 == 1) LinuxFiles.Exchange(_a, _b);
            _swaps += _swaps % 2;
            return _swaps;
        }

        public void Dispose()
        {
            if (!_stop) Stop();
            _started.Dispose();
        }

        private void Run()
        {
            try
            {
                while (!_stop)
                {
                    LinuxFiles.Exchange(_a, _b);
                    _swaps++;
                    _started.Set();
                }
            }
            catch (IOException e)
            {
                _failure = e;
                _started.Set();
            }
        }
    }
}
