using System.Runtime.InteropServices;

namespace MiniMe.Tools.Processes;

/// <summary>
/// The few POSIX and Linux calls .NET does not expose: signals to a process group or through a pidfd,
/// the child subreaper flag, reaping one pid, and the boot-time clock /proc start times are measured in.
/// </summary>
internal static partial class Posix
{
    public const int SigKill = 9;
    public const int SigStop = 19;

    private const int Esrch = 3;
    private const int Echild = 10;
    private const int Enosys = 38;
    private const int PrSetChildSubreaper = 36;
    private const int WNoHang = 1;
    private const int ClockBoottime = 7;
    private const int ScClkTck = 2;
    // The same numbers on x86-64 and arm64 (syscalls numbered from 424 up are shared by every architecture).
    private const nint SysPidfdSendSignal = 424;
    private const nint SysPidfdOpen = 434;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "prctl", SetLastError = true)]
    private static partial int Prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial nint Syscall(nint number, nint arg1, nint arg2, nint arg3, nint arg4);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "waitpid", SetLastError = true)]
    private static unsafe partial int WaitPid(int pid, int* status, int options);

    [LibraryImport("libc", EntryPoint = "clock_gettime", SetLastError = true)]
    private static partial int ClockGetTime(int clock, out Timespec time);

    [LibraryImport("libc", EntryPoint = "sysconf")]
    private static partial long SysConf(int name);

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    private static readonly long TicksPerSecond = OperatingSystem.IsLinux() && SysConf(ScClkTck) is > 0 and var hz ? hz : 100;
    private static int s_pidfdMissing;

    /// <summary>Sends <paramref name="signal"/> to every process in the group; false when none is left.</summary>
    public static bool SignalGroup(int processGroup, int signal) => processGroup > 1 && Kill(-processGroup, signal) == 0;

    /// <summary>
    /// Makes this process the child subreaper (Linux): orphans of its descendants are re-parented to it
    /// instead of to init, so a daemon that double-forks stays findable. False when the kernel refuses.
    /// </summary>
    public static bool BecomeChildSubreaper() => Prctl(PrSetChildSubreaper, 1, 0, 0, 0) == 0;

    /// <summary>
    /// Signals exactly the process <paramref name="expected"/> describes: a pidfd is opened on the pid and
    /// the process's start time re-read through /proc, so a pid that was reused meanwhile is never hit.
    /// False when it is gone or cannot be signalled.
    /// </summary>
    public static bool SignalExactly(ProcStat expected, int signal)
    {
        if (Volatile.Read(ref s_pidfdMissing) == 0)
        {
            var fd = (int)Syscall(SysPidfdOpen, expected.Pid, 0, 0, 0);
            if (fd >= 0)
            {
                try
                {
                    // The pidfd names one process for good: if the pid is still the one we saw, it is this one.
                    if (!ProcessTable.TryRead(expected.Pid, out var now) || now.StartTicks != expected.StartTicks) return false;
                    return Syscall(SysPidfdSendSignal, fd, signal, 0, 0) == 0;
                }
                finally
                {
                    Close(fd);
                }
            }
            var error = Marshal.GetLastPInvokeError();
            if (error != Enosys) return false;   // ESRCH: gone; EPERM and others: nothing we can do
            Volatile.Write(ref s_pidfdMissing, 1);
        }
        // Kernels before 5.3: re-check and signal by pid (a pid reused between the two calls is the residual risk).
        return ProcessTable.TryRead(expected.Pid, out var current) && current.StartTicks == expected.StartTicks && Kill(expected.Pid, signal) == 0;
    }

    /// <summary>
    /// Reaps <paramref name="pid"/>, a zombie child of this process that no <see cref="System.Diagnostics.Process"/>
    /// tracks. True when it is reaped or already gone.
    /// </summary>
    public static unsafe bool Reap(int pid)
    {
        int status;
        var result = WaitPid(pid, &status, WNoHang);
        return result == pid || (result < 0 && Marshal.GetLastPInvokeError() is Echild or Esrch);
    }

    /// <summary>Now, in the clock ticks since boot that /proc/PID/stat start times use.</summary>
    public static ulong BootTicksNow()
    {
        if (ClockGetTime(ClockBoottime, out var now) != 0) return 0;
        return (ulong)(now.Seconds * TicksPerSecond + now.Nanoseconds * TicksPerSecond / 1_000_000_000);
    }
}
