using System.Runtime.InteropServices;

namespace MiniMe.Tools.Processes;

/// <summary>What lstat would say about a path: its type, link count and identity (device, inode). Linux only (statx).</summary>
internal readonly partial record struct FileStatus(bool IsRegular, bool IsDirectory, bool IsSymlink, uint LinkCount, ulong Device, ulong Inode)
{
    /// <summary>The path's status without following a final symlink, or null when it cannot be read.</summary>
    public static FileStatus? Of(string path) => Native.Lstat(path);

    private static partial class Native
    {
        private const int AtFdCwd = -100;
        private const int AtSymlinkNoFollow = 0x100;
        private const uint StatxType = 0x1, StatxNlink = 0x4, StatxIno = 0x100;
        private const ushort TypeMask = 0xF000, TypeRegular = 0x8000, TypeDirectory = 0x4000, TypeSymlink = 0xA000;

        // struct statx, as in linux/stat.h: 256 bytes, the fields below at fixed offsets on every architecture.
        [StructLayout(LayoutKind.Sequential, Size = 256)]
        private struct Statx
        {
            public uint Mask;
            public uint BlockSize;
            public ulong Attributes;
            public uint Nlink;
            public uint Uid;
            public uint Gid;
            public ushort Mode;
            public ushort Spare0;
            public ulong Ino;
            public ulong Size;
            public ulong Blocks;
            public ulong AttributesMask;
            public long AtimeSec; public uint AtimeNsec; public int AtimeReserved;
            public long BtimeSec; public uint BtimeNsec; public int BtimeReserved;
            public long CtimeSec; public uint CtimeNsec; public int CtimeReserved;
            public long MtimeSec; public uint MtimeNsec; public int MtimeReserved;
            public uint RdevMajor; public uint RdevMinor;
            public uint DevMajor; public uint DevMinor;
        }

        [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        private static partial int StatxCall(int dirfd, string path, int flags, uint mask, out Statx result);

        public static FileStatus? Lstat(string path)
        {
            if (!OperatingSystem.IsLinux()) return null;
            if (StatxCall(AtFdCwd, path, AtSymlinkNoFollow, StatxType | StatxNlink | StatxIno, out var s) != 0) return null;
            var type = (ushort)(s.Mode & TypeMask);
            return new FileStatus(type == TypeRegular, type == TypeDirectory, type == TypeSymlink, s.Nlink, ((ulong)s.DevMajor << 32) | s.DevMinor, s.Ino);
        }
    }
}
