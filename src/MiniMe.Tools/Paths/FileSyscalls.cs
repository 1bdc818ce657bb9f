using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;

namespace MiniMe.Tools.Paths;

/// <summary>
/// The Linux calls for acting on files relative to a held directory handle without following links:
/// openat2 (through syscall(2): glibc has no wrapper), openat, mkdirat, renameat, unlinkat, statx and
/// getdents64. Hand-written rather than Tmds.LibC 0.5.0, which has no openat2, open_how or RESOLVE_*
/// flags, no renameat and no fstatat, and binds with DllImport rather than source-generated stubs.
/// openat and syscall are variadic in C; on the 64-bit Linux ABIs .NET runs on, variadic integer and
/// pointer arguments travel in the same registers as fixed ones, so fixed signatures are sound there.
/// </summary>
[SupportedOSPlatform("linux")]
internal static unsafe partial class FileSyscalls
{
    public const int AtFdCwd = -100;
    public const int ReadOnly = 0x0;
    public const int WriteOnly = 0x1;
    public const int Create = 0x40;
    public const int Exclusive = 0x80;
    public const int NoControllingTty = 0x100;
    public const int NonBlocking = 0x800;
    public const int CloseOnExec = 0x80000;
    public const int AtSymlinkNoFollow = 0x100;
    public const int AtEmptyPath = 0x1000;

    public const ulong ResolveNoMagicLinks = 0x02;
    public const ulong ResolveNoSymlinks = 0x04;
    public const ulong ResolveBeneath = 0x08;

    public const int ENOENT = 2;
    public const int EINTR = 4;
    public const int ENXIO = 6;
    public const int EAGAIN = 11;
    public const int EEXIST = 17;
    public const int EXDEV = 18;
    public const int ENOTDIR = 20;
    public const int EISDIR = 21;
    public const int ENOSYS = 38;
    public const int ELOOP = 40;

    private const long SysOpenat2 = 437;   // the same number on every architecture (added after the syscall tables were unified)
    private const uint StatxType = 0x1, StatxMode = 0x2, StatxNlink = 0x4, StatxSize = 0x200;

    // O_DIRECTORY and O_NOFOLLOW are the only open flags used here whose values differ by architecture.
    private static readonly bool ArmStyleFlags = RuntimeInformation.ProcessArchitecture is Architecture.Arm or Architecture.Arm64 or Architecture.Ppc64le;
    public static int Directory { get; } = ArmStyleFlags ? 0x4000 : 0x10000;
    public static int NoFollow { get; } = ArmStyleFlags ? 0x8000 : 0x20000;

    [StructLayout(LayoutKind.Sequential)]
    private struct OpenHow
    {
        public ulong Flags;
        public ulong Mode;
        public ulong Resolve;
    }

    /// <summary>struct statx: the same layout on every architecture (256 bytes), unlike struct stat.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    private struct StatxBuffer
    {
        [FieldOffset(0)] public uint Mask;
        [FieldOffset(16)] public uint Links;
        [FieldOffset(28)] public ushort Mode;
        [FieldOffset(40)] public ulong Size;
    }

    /// <summary>openat2(2) with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS: -1 and errno on failure.</summary>
    public static int OpenBeneath(SafeFileHandle directory, string path, int flags, uint mode, out int errno)
    {
        var how = new OpenHow { Flags = (ulong)(uint)flags, Mode = (flags & Create) != 0 ? mode : 0, Resolve = ResolveBeneath | ResolveNoSymlinks | ResolveNoMagicLinks };
        long result;
        var attempts = 0;
        do
        {
            result = Syscall(SysOpenat2, directory.DangerousGetHandle(), path, &how, (nuint)sizeof(OpenHow));
            errno = result < 0 ? Marshal.GetLastPInvokeError() : 0;
        }
        while (result < 0 && (errno == EINTR || errno == EAGAIN) && ++attempts < 100);   // EAGAIN: a concurrent rename the kernel wants retried
        return (int)result;
    }

    /// <summary>openat(2): -1 and errno on failure.</summary>
    public static int OpenAt(SafeFileHandle? directory, string path, int flags, uint mode, out int errno)
    {
        int result;
        do
        {
            result = OpenAtNative(directory is null ? AtFdCwd : (int)directory.DangerousGetHandle(), path, flags, mode);
            errno = result < 0 ? Marshal.GetLastPInvokeError() : 0;
        }
        while (result < 0 && errno == EINTR);
        return result;
    }

    public static int MakeDirectoryAt(SafeFileHandle directory, string name, uint mode) =>
        MkdirAt((int)directory.DangerousGetHandle(), name, mode) == 0 ? 0 : Marshal.GetLastPInvokeError();

    public static int RenameAt(SafeFileHandle directory, string from, string to) =>
        RenameAtNative((int)directory.DangerousGetHandle(), from, (int)directory.DangerousGetHandle(), to) == 0 ? 0 : Marshal.GetLastPInvokeError();

    public static int UnlinkAt(SafeFileHandle directory, string name) =>
        UnlinkAtNative((int)directory.DangerousGetHandle(), name, 0) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>The entry <paramref name="name"/> in the directory, not following a link (fstatat with AT_SYMLINK_NOFOLLOW); 0 or errno.</summary>
    public static int StatAt(SafeFileHandle directory, string name, out EntryInfo info) =>
        Stat((int)directory.DangerousGetHandle(), name, AtSymlinkNoFollow, out info);

    /// <summary>What a path names, not following a final link (lstat); 0 or errno. Only for audits: it checks a name, not a handle.</summary>
    public static int StatPath(string path, out EntryInfo info) => Stat(AtFdCwd, path, AtSymlinkNoFollow, out info);

    /// <summary>What an open handle refers to (fstat); 0 or errno.</summary>
    public static int StatHandle(SafeFileHandle handle, out EntryInfo info) =>
        Stat((int)handle.DangerousGetHandle(), "", AtEmptyPath | AtSymlinkNoFollow, out info);

    /// <summary>The names in a directory handle, without "." and ".."; reads the handle once from its current offset.</summary>
    public static IReadOnlyList<string> ReadDirectory(SafeFileHandle directory)
    {
        var names = new List<string>();
        var buffer = new byte[32 * 1024];
        fixed (byte* start = buffer)
        {
            while (true)
            {
                var read = GetDents64((int)directory.DangerousGetHandle(), start, (nuint)buffer.Length);
                if (read < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == EINTR) continue;
                    throw new IOException($"could not list the directory: {Marshal.GetPInvokeErrorMessage(errno)}");
                }
                if (read == 0) return names;
                // struct linux_dirent64 { u64 d_ino; s64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }
                for (nint offset = 0; offset < read;)
                {
                    var record = start + offset;
                    var length = *(ushort*)(record + 16);
                    var name = Marshal.PtrToStringUTF8((nint)(record + 19));
                    if (name is not (null or "." or "..")) names.Add(name);
                    offset += length;
                }
            }
        }
    }

    public static string Describe(int errno) => Marshal.GetPInvokeErrorMessage(errno);

    private static int Stat(int directory, string path, int flags, out EntryInfo info)
    {
        StatxBuffer buffer;
        if (StatxNative(directory, path, flags, StatxType | StatxMode | StatxNlink | StatxSize, &buffer) != 0)
        {
            info = default;
            return Marshal.GetLastPInvokeError();
        }
        var kind = (buffer.Mode & 0xF000) switch
        {
            0x8000 => EntryKind.File,
            0x4000 => EntryKind.Directory,
            0xA000 => EntryKind.Link,
            _ => EntryKind.Special,   // FIFO, socket, character or block device
        };
        info = new EntryInfo(kind, buffer.Links, (long)buffer.Size, (UnixFileMode)(buffer.Mode & 0x1FF));
        return 0;
    }

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial long Syscall(long number, nint directory, string path, OpenHow* how, nuint size);

    [LibraryImport("libc", EntryPoint = "openat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OpenAtNative(int directory, string path, int flags, uint mode);

    [LibraryImport("libc", EntryPoint = "mkdirat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MkdirAt(int directory, string name, uint mode);

    [LibraryImport("libc", EntryPoint = "renameat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int RenameAtNative(int fromDirectory, string from, int toDirectory, string to);

    [LibraryImport("libc", EntryPoint = "unlinkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int UnlinkAtNative(int directory, string name, int flags);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int StatxNative(int directory, string path, int flags, uint mask, StatxBuffer* buffer);

    [LibraryImport("libc", EntryPoint = "getdents64", SetLastError = true)]
    private static partial nint GetDents64(int directory, byte* buffer, nuint size);
}
