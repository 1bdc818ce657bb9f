using System.Diagnostics;

namespace MiniMe.Tools.Processes;

/// <summary>
/// Finds and kills every process one command left behind (Linux), from snapshots of /proc.
/// <para>
/// MiniMe makes itself the child subreaper once, so an orphan anywhere below it (a double-forked
/// daemon) is re-parented to MiniMe instead of to init. A process belongs to a command when, in one
/// snapshot: (1) it is the command's root (pid and start time), is in the session or process group
/// setsid gave the command (started after the command), or descends from such a process by parent
/// links; (2) it is an orphan re-parented to MiniMe whose environment carries the command's
/// MINIME_COMMAND_ID; or (3) it is such an orphan with no readable id of a running command (the id was
/// removed, hidden by making itself non-dumpable, or copied from a command that is over), outside
/// MiniMe's own session, started after the command, and no other command still running started before
/// it, so it cannot be theirs: each is then killed by the last command that could own it. The
/// descendants of any process found are the command's too.
/// </para>
/// <para>
/// Teardown freezes first (SIGSTOP every member, snapshot again, until no member is left unfrozen, so
/// nothing forks while it is being killed), then SIGKILLs them all and verifies with further snapshots
/// until none is alive, reaping the zombies that were re-parented to MiniMe. Signals go through a pidfd
/// checked against the start time, so a reused pid is never hit. The root stays the Process object's to
/// reap (.NET reaps only the children it started, so re-parented orphans are reaped here).
/// </para>
/// </summary>
internal static class CommandTree
{
    /// <summary>The environment variable that carries a command's id into everything it starts.</summary>
    public const string IdVariable = "MINIME_COMMAND_ID";

    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromSeconds(5);
    private static readonly Lazy<bool> Subreaper = new(Posix.BecomeChildSubreaper, LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly int Self = Environment.ProcessId;
    private static readonly int SelfSession = ProcessTable.TryRead(Self, out var self) ? self.Session : -1;

    /// <summary>
    /// Held while a command's process starts (until its root pid is registered) and during each teardown
    /// pass, so no pass can see a command's root before it is known as one.
    /// </summary>
    public static Lock StartGate { get; } = new();

    /// <summary>Makes MiniMe the child subreaper (once per process); false where the kernel has no such thing.</summary>
    public static bool EnsureSubreaper() => Subreaper.Value;

    /// <summary>Records the root of a command that just started (call with <see cref="StartGate"/> held).</summary>
    public static CommandIdentity Started(CommandIdentity command, int rootPid, bool ownSession)
    {
        ulong? rootStart = ProcessTable.TryRead(rootPid, out var root) && root.ParentPid == Self && root.StartTicks >= command.StartTicks ? root.StartTicks : null;
        return RunningCommands.Update(command with { RootPid = rootPid, RootStartTicks = rootStart, Session = ownSession ? rootPid : 0 });
    }

    /// <summary>Kills everything the command left running; returns how many processes besides the root were alive.</summary>
    public static async Task<int> KillAsync(CommandIdentity command)
    {
        command = RunningCommands.Update(command with { Ending = true });
        var signalled = new Dictionary<int, ulong>();   // pid -> start ticks of every process signalled
        var strays = -1;
        var freezing = true;
        var clock = Stopwatch.StartNew();
        var pause = 1;
        while (true)
        {
            bool pending;
            lock (StartGate)
            {
                var table = ProcessTable.Snapshot();
                var running = RunningCommands.Snapshot();
                var members = MembersOf(command, table, running);
                // A zombie shows no environment, so one signalled earlier is kept by its pid and start time.
                foreach (var (pid, start) in signalled)
                    if (table.TryGetValue(pid, out var p) && p.StartTicks == start) members.TryAdd(pid, p);
                if (strays < 0) strays = members.Values.Count(p => !p.IsZombie && p.Pid != command.RootPid);

                pending = false;
                foreach (var p in members.Values)
                {
                    if (!p.IsZombie) pending = true;
                    else if (running.Any(c => c.RootPid == p.Pid)) continue;       // a root is its Process object's to reap
                    else if (p.ParentPid == Self) Posix.Reap(p.Pid);               // re-parented to MiniMe: nobody else will
                    else if (members.ContainsKey(p.ParentPid)) pending = true;     // its parent is dying; it comes to MiniMe next
                }

                if (freezing)
                {
                    var fresh = members.Values.Where(p => !p.IsZombie && !(signalled.TryGetValue(p.Pid, out var s) && s == p.StartTicks)).ToList();
                    foreach (var p in fresh)
                    {
                        Posix.SignalExactly(p, Posix.SigStop);
                        signalled[p.Pid] = p.StartTicks;
                    }
                    if (fresh.Count > 0 && clock.Elapsed < GiveUpAfter) continue;   // look again at once: one may have forked before it stopped
                    freezing = false;
                }
                if (!pending) return strays;
                foreach (var p in members.Values)
                {
                    if (p.IsZombie) continue;
                    Posix.SignalExactly(p, Posix.SigKill);
                    signalled[p.Pid] = p.StartTicks;
                }
            }
            // What is left cannot be signalled (another user) or is stuck in the kernel; the caller keeps waiting for the root only.
            if (clock.Elapsed > GiveUpAfter) return strays;
            await Task.Delay(pause, CancellationToken.None).ConfigureAwait(false);
            pause = Math.Min(pause * 2, 20);
        }
    }

    /// <summary>Which processes of <paramref name="table"/> belong to <paramref name="me"/> (see the class summary for the rules).</summary>
    internal static Dictionary<int, ProcStat> MembersOf(CommandIdentity me, Dictionary<int, ProcStat> table, IReadOnlyList<CommandIdentity> running)
    {
        var children = new Dictionary<int, List<int>>();
        foreach (var p in table.Values)
        {
            if (!children.TryGetValue(p.ParentPid, out var list)) children[p.ParentPid] = list = [];
            list.Add(p.Pid);
        }
        var owners = new Dictionary<int, string>();
        var stack = new Stack<int>();
        void Claim(int pid, string owner)
        {
            stack.Push(pid);
            while (stack.TryPop(out var next))
            {
                if (!owners.TryAdd(next, owner)) continue;
                if (children.TryGetValue(next, out var below))
                    foreach (var child in below) stack.Push(child);
            }
        }

        // 1. Structure: the root, the session and group setsid made for the command, and their descendants.
        foreach (var c in running)
        {
            if (IsRoot(c, table)) Claim(c.RootPid, c.Id);
            if (c.Session <= 0 || !HoldsSessionNumber(c, table)) continue;
            foreach (var p in table.Values)
                if ((p.Session == c.Session || p.Group == c.Session) && p.StartTicks >= c.StartTicks) Claim(p.Pid, c.Id);
        }

        // 2 and 3. Orphans re-parented to MiniMe: by the id in their environment, else by elimination.
        foreach (var p in table.Values)
        {
            if (p.ParentPid != Self || owners.ContainsKey(p.Pid) || running.Any(c => c.RootPid == p.Pid)) continue;
            var id = p.IsZombie ? null : ProcessTable.ReadEnvironmentVariable(p.Pid, IdVariable);
            if (running.FirstOrDefault(c => c.Id == id) is { } marked)
            {
                // A running command's orphans are left to it; an ending command's may be killed by any teardown.
                Claim(p.Pid, marked.Id == me.Id || !marked.Ending ? marked.Id : me.Id);
                continue;
            }
            if (p.Session == SelfSession) continue;            // could be a program MiniMe started itself
            if (p.StartTicks < me.StartTicks) continue;         // older than this command
            if (running.Any(c => c.Id != me.Id && !c.Ending && c.StartTicks <= p.StartTicks)) continue;   // a running command may own it
            Claim(p.Pid, me.Id);
        }

        var members = new Dictionary<int, ProcStat>();
        foreach (var (pid, owner) in owners)
            if (owner == me.Id) members[pid] = table[pid];
        return members;
    }

    private static bool IsRoot(CommandIdentity c, Dictionary<int, ProcStat> table) =>
        c.RootPid > 0 && c.RootStartTicks is { } start && table.TryGetValue(c.RootPid, out var root) && root.StartTicks == start;

    /// <summary>
    /// The session number is still the command's: a pid in use as a session or group id is never handed
    /// out again, so it was reused only if another process now has that pid.
    /// </summary>
    private static bool HoldsSessionNumber(CommandIdentity c, Dictionary<int, ProcStat> table) =>
        !table.TryGetValue(c.Session, out var holder) || holder.StartTicks == c.RootStartTicks;
}
