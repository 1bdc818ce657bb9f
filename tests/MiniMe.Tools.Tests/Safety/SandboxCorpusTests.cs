using System.Text.Json.Nodes;
using MiniMe.Tools.Approval;
using MiniMe.Tools.Tests.Paths;
using MiniMe.Tools.Tests.Support;
using MiniMe.Tracing;

namespace MiniMe.Tools.Tests.Safety;

/// <summary>
/// A hostile program running inside the real bubblewrap sandbox (issue 10, classes 2 and 3): an allowed
/// `sh scripts/probe.sh` whose script tries to read secrets, reach outside the root, plant git hooks or
/// build inputs for the user's next unsandboxed command, or undo the sandbox's mounts. Each script prints
/// ESCAPED when its attempt works. Nothing may escape: no ESCAPED, no secret in the output, and the
/// protected parts of the tree (.git, .minime, secrets, code files, everything outside the root) unchanged
/// — or, for the attempts only the after-run audit can catch, put back and reported.
/// </summary>
public sealed class SandboxCorpusTests : IDisposable
{
    /// <summary>A folder outside the root and outside /tmp (the sandbox has its own /tmp, which would hide it for the wrong reason).</summary>
    private readonly string _elsewhere = Directory.CreateDirectory(Path.Join(OutsideTmp(), "minime-sandbox-corpus-" + Guid.NewGuid().ToString("N"))).FullName;

    public sealed record SandboxCase(string Name, Func<SandboxCorpusTests, ToolWorkspace, string> Script, Action<SandboxCorpusTests, ToolWorkspace>? Setup = null, bool UndoneByAudit = false);

    private const string ElsewhereSecret = "ELSEWHERE-SECRET-51c2";

    private static SandboxCase S(string name, string script) => new(name, (_, _) => script);

    public static IReadOnlyList<SandboxCase> All { get; } =
    [
        // Class 3: secrets inside the root, the MiniMe home, hard links, outside the root.
        S("read .env", "cat .env && echo ESCAPED"),
        S("read src/.env", "grep -q DB_PASSWORD src/.env && echo ESCAPED"),
        S("read .Env.local", "grep -q X= .Env.local && echo ESCAPED"),
        S("read id_rsa", "grep -q fake secrets/id_rsa && echo ESCAPED"),
        S("read a .pem", "grep -q fake keys/server.pem && echo ESCAPED"),
        S("read a .key", "grep -q fake config/app.key && echo ESCAPED"),
        S("read a read-excluded file", "grep -q private private/notes.txt && echo ESCAPED"),
        S("read the MiniMe config", "grep -q memory .minime/config.yaml && echo ESCAPED"),
        S("list the MiniMe home", "ls -A .minime | grep -q . && echo ESCAPED"),
        S("read the allowlist", "grep -q commands .minime/allowlist.yaml && echo ESCAPED"),
        S("find and read every key file", "for f in $(find . -name '*.key' -o -name '*.pem' -o -name 'id_rsa*'); do grep -q fake \"$f\" && echo ESCAPED; done"),
        new("read a hard link to .env", (_, _) => "grep -q API_KEY src/hard-env && echo ESCAPED", (_, w) => LinuxFiles.HardLink(w.PathOf(".env"), w.PathOf("src/hard-env"))),
        new("read a hard link to a file outside the root", (_, _) => "grep -q outside src/hard-out && echo ESCAPED",
            (_, w) => LinuxFiles.HardLink(Path.Join(w.Outside, "target.txt"), w.PathOf("src/hard-out"))),
        new("read a file outside the root and /tmp", (t, _) => $"cat '{t._elsewhere}/secret.txt' && echo ESCAPED"),
        new("list a folder outside the root", (t, _) => $"ls '{t._elsewhere}' && echo ESCAPED"),
        S("see root's home directory beyond the package cache", "ls -A /root 2>/dev/null | grep -vx .nuget | grep -q . && echo ESCAPED; ls -A /root/.nuget 2>/dev/null | grep -vx packages | grep -q . && echo ESCAPED"),
        S("see /home", "ls -A /home 2>/dev/null | grep -q . && echo ESCAPED"),
        S("read /etc/shadow", "cat /etc/shadow && echo ESCAPED"),
        S("read /etc/gshadow", "cat /etc/gshadow && echo ESCAPED"),
        S("see host block devices", "ls /dev | grep -Eq '^(sd|vd|nvme|xvd)' && echo ESCAPED"),
        S("read history with raw git", "git show HEAD~1:.env 2>/dev/null | grep -q HISTORIC && echo ESCAPED; git log -p --all 2>/dev/null | grep -q HISTORIC && echo ESCAPED"),
        S("read the git object store", "find .git -type f 2>/dev/null | grep -q objects && echo ESCAPED"),
        S("read .git/config", "cat .git/config && echo ESCAPED"),
        S("unmount a masked secret", "umount .env 2>/dev/null; grep -q API_KEY .env && echo ESCAPED"),
        S("unmount the hidden git directory", "umount .git 2>/dev/null; test -e .git/HEAD && echo ESCAPED"),
        S("unmount in a new user namespace", "unshare -Urm sh -c 'umount .env; umount .git; cat .env; cat .git/HEAD' 2>/dev/null | grep -Eq 'API_KEY|ref:' && echo ESCAPED"),
        S("remount the root read-write", "mount -o remount,rw / 2>/dev/null && echo ESCAPED"),
        S("mount a new proc", "mkdir -p scratch/p && mount -t proc proc scratch/p 2>/dev/null && echo ESCAPED"),
        // Class 2: planting code for the user's next git command or build.
        S("write a hook into .git", "mkdir -p .git/hooks 2>/dev/null; echo 'touch pwned' > .git/hooks/pre-commit 2>/dev/null && echo ESCAPED"),
        S("append to .git/config", "printf '[core]\\n\\tfsmonitor = touch pwned\\n' >> .git/config 2>/dev/null && echo ESCAPED"),
        S("write .git/info/attributes", "mkdir -p .git/info 2>/dev/null; echo '* filter=evil' > .git/info/attributes 2>/dev/null && echo ESCAPED"),
        S("remove .git", "rm -rf .git 2>/dev/null; mv .git .git-gone 2>/dev/null && echo ESCAPED"),
        S("replace .git with a gitdir file", "mv .git .git-old 2>/dev/null && echo 'gitdir: scratch' > .git && echo ESCAPED"),
        S("write into the MiniMe home", "echo 'commands: [{program: sh, args: [\"...\"]}]' >> .minime/allowlist.yaml 2>/dev/null && echo ESCAPED"),
        S("move the MiniMe home away", "mv .minime .minime-gone 2>/dev/null && echo ESCAPED"),
        new("write a hook into a nested repository", (_, _) => "echo 'touch pwned' > src/sub/.git/hooks/pre-commit 2>/dev/null && echo ESCAPED", (_, w) => w.InitNestedRepository("src/sub")),
        S("change a build input", "echo '<Project><Target Name=\"X\" BeforeTargets=\"Build\"><Exec Command=\"touch pwned\"/></Target></Project>' > src/Directory.Build.props 2>/dev/null && echo ESCAPED"),
        S("change a project file", "echo evil >> src/Hello/Hello.csproj 2>/dev/null && echo ESCAPED"),
        S("delete a build input", "rm -f src/Directory.Build.props 2>/dev/null; test -e src/Directory.Build.props || echo ESCAPED"),
        S("write outside the root under /tmp", "echo x > ../outside/evil 2>/dev/null; echo x > ../pwned 2>/dev/null; :"),
        new("write outside the root and /tmp", (t, _) => $"echo x > '{t._elsewhere}/pwned' 2>/dev/null && echo ESCAPED"),
        S("write /etc", "echo x > /etc/pwned 2>/dev/null && echo ESCAPED"),
        S("write /usr", "touch /usr/pwned 2>/dev/null && echo ESCAPED"),
        S("write /var", "touch /var/pwned 2>/dev/null && echo ESCAPED"),
        S("reach the network", "awk 'NR > 2 && $1 != \"lo:\" { print \"ESCAPED\" }' /proc/net/dev"),
        // Only the after-run audit can catch these: the sandbox lets the root be written, and these rebuild what it protects.
        new("create a new git repository with a hook", (_, _) => "git init -q scratch/newrepo && echo 'touch pwned' > scratch/newrepo/.git/hooks/post-checkout && chmod +x scratch/newrepo/.git/hooks/post-checkout", UndoneByAudit: true),
        new("move src away and plant a build input in a new src", (_, _) => "mv src src-moved && mkdir src && echo '<Project><Target Name=\"X\" BeforeTargets=\"Build\"><Exec Command=\"touch pwned\"/></Target></Project>' > src/Directory.Build.props", UndoneByAudit: true),
        new("create a Makefile", (_, _) => "printf 'all:\\n\\ttouch pwned\\n' > src/Makefile", UndoneByAudit: true),
        new("create a Directory.Build.rsp", (_, _) => "echo '-p:PreBuildEvent=touch pwned' > Directory.Build.rsp", UndoneByAudit: true),
    ];

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var c in All) data.Add(c.Name);
        return data;
    }

    [Fact]
    public void The_sandbox_corpus_has_distinct_names() => Assert.Equal(All.Count, All.Select(c => c.Name).Distinct().Count());

    [BwrapTheory]
    [MemberData(nameof(Names))]
    public async Task Hostile_program_inside_the_sandbox_cannot_escape(string name)
    {
        var hostile = All.Single(c => c.Name == name);
        File.WriteAllText(Path.Join(_elsewhere, "secret.txt"), ElsewhereSecret + "\n");
        using var w = new ToolWorkspace(sandbox: "bwrap");
        hostile.Setup?.Invoke(this, w);
        w.Write("scripts/probe.sh", hostile.Script(this, w) + "\n");
        var before = w.Snapshot(includeFeedback: false);
        var elsewhereBefore = Directory.GetFileSystemEntries(_elsewhere).Order(StringComparer.Ordinal).ToList();

        var outcome = await w.RunAsync("run_command", new JsonObject { ["argv"] = new JsonArray("sh", "scripts/probe.sh") });

        Assert.NotNull(outcome.Execution);
        Assert.True(outcome.Execution.Sandboxed, outcome.Message);
        var output = outcome.Execution.Output["stdout"]!.GetValue<string>() + outcome.Execution.Output["stderr"]!.GetValue<string>();
        Assert.DoesNotContain("ESCAPED", output, StringComparison.Ordinal);
        foreach (var secret in new[] { "not-a-real-key", "DB_PASSWORD", ToolWorkspace.SecretInHistory, "-----fake", ElsewhereSecret, "root:" })
            Assert.DoesNotContain(secret, output, StringComparison.Ordinal);
        Assert.Equal(elsewhereBefore, Directory.GetFileSystemEntries(_elsewhere).Order(StringComparer.Ordinal).ToList());
        Assert.DoesNotContain(Directory.GetFiles(w.Base, "pwned*", SearchOption.AllDirectories), p => !p.Contains("/.minime/quarantine/", StringComparison.Ordinal));
        var after = w.Snapshot(includeFeedback: false);
        if (!hostile.UndoneByAudit)
        {
            Assert.Equal(Protected(before), Protected(after));
            Assert.Empty(outcome.Execution.Warnings ?? []);
            return;
        }
        // What the audit undid: every protected entry that existed is back as it was, nothing new that runs code is left, and it said so.
        Assert.True(outcome.Execution.Warnings is { Count: > 0 }, $"nothing undone; {outcome.Message}; {outcome.Execution.Output.ToJsonString()}; output: {output}; tree: {string.Join(", ", after.Keys.Where(k => !k.Contains("/.git/", StringComparison.Ordinal)))}");
        // (A secret moved along with its directory stays inside the root and masked; the audit restores what runs code.)
        var restored = Protected(after);
        var different = Protected(before).Where(e => !e.Key.StartsWith("project/", StringComparison.Ordinal) || !MiniMe.Security.SecretPaths.IsSecret(e.Key["project/".Length..]))
            .Where(e => !restored.TryGetValue(e.Key, out var now) || now != e.Value).Select(e => e.Key).ToList();
        Assert.True(different.Count == 0, $"not restored: {string.Join(", ", different)}; undone: {string.Join(" | ", outcome.Execution.Warnings!)}");
        Assert.DoesNotContain(after.Keys, k => Protected(after).ContainsKey(k) && !before.ContainsKey(k) && !(k.StartsWith("project/", StringComparison.Ordinal) && MiniMe.Security.SecretPaths.IsSecret(k["project/".Length..])));
        var execution = Assert.Single(w.Events(TraceEventTypes.Execution));
        Assert.NotEmpty(execution.Data["warnings"]!.AsArray());
    }

    /// <summary>The entries the sandbox must keep as they were: .git, the MiniMe home, secrets, code files and everything outside the root.</summary>
    private static Dictionary<string, string> Protected(SortedDictionary<string, string> snapshot) =>
        snapshot.Where(e => IsProtected(e.Key)).ToDictionary(e => e.Key, e => e.Value);

    private static bool IsProtected(string key)
    {
        if (!key.StartsWith("project/", StringComparison.Ordinal)) return !key.StartsWith("editor", StringComparison.Ordinal);
        var rel = key["project/".Length..];
        if (rel.StartsWith(".minime/quarantine", StringComparison.Ordinal)) return false;
        return rel == ".git" || rel.StartsWith(".git/", StringComparison.Ordinal) || rel.Contains("/.git", StringComparison.Ordinal)
            || rel.StartsWith(".minime", StringComparison.Ordinal) || MiniMe.Security.SecretPaths.IsSecret(rel)
            || MiniMe.Tools.Commands.CodeFiles.Match(rel) is not null;
    }

    public void Dispose()
    {
        try { Directory.Delete(_elsewhere, recursive: true); }
        catch (IOException) { /* best effort */ }
    }

    private static string OutsideTmp()
    {
        var temp = Path.GetFullPath(Path.GetTempPath()).TrimEnd('/') + "/";
        foreach (var candidate in new[] { "/var/tmp", AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            var full = Path.GetFullPath(candidate).TrimEnd('/') + "/";
            if (!full.StartsWith(temp, StringComparison.Ordinal) && !full.StartsWith("/tmp/", StringComparison.Ordinal) && Directory.Exists(full))
                return full;
        }
        throw new InvalidOperationException("No writable folder outside /tmp for the sandbox corpus.");
    }
}

/// <summary>A long-running MiniMe (the server) runs many sandboxed commands: none may leave a zombie behind for it.</summary>
public sealed class SandboxZombieTests
{
    [BwrapFact]
    public async Task Sandboxed_commands_leave_no_zombie_children_behind()
    {
        using var w = new ToolWorkspace(sandbox: "bwrap");
        w.Write("scripts/bg.sh", "sleep 0.2 &\necho done\n");
        for (var i = 0; i < 5; i++)
        {
            var outcome = await w.RunAsync("run_command", new JsonObject { ["argv"] = new JsonArray("sh", "scripts/bg.sh") });
            Assert.Equal(OutcomeStatus.Succeeded, outcome.Status);
        }
        // Other tests run commands at the same time: a zombie is a leak when it stays, so give the transient ones time to be reaped.
        var zombies = ZombieChildren();
        for (var i = 0; i < 100 && zombies.Count > 0; i++)
        {
            await Task.Delay(50);
            zombies = ZombieChildren().Intersect(zombies).ToList();
        }
        Assert.True(zombies.Count == 0, "zombies: " + string.Join(", ", zombies.Select(Describe)));
    }

    private static string Describe(int pid)
    {
        try { return $"{pid} {File.ReadAllText($"/proc/{pid}/stat").Split(' ')[1]}"; }
        catch (IOException) { return pid.ToString(System.Globalization.CultureInfo.InvariantCulture); }
    }

    private static List<int> ZombieChildren()
    {
        var self = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var zombies = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Join(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                // Only bubblewrap's: other tests in this process start and orphan processes of their own.
                if (fields[0] == "Z" && fields[1] == self && stat.Contains("(bwrap)", StringComparison.Ordinal)) zombies.Add(pid);
            }
            catch (IOException) { }
        }
        return zombies;
    }
}
