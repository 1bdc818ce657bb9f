using System.Runtime.InteropServices;

namespace MiniMe.Tools.Tests.Paths;

/// <summary>The file-system calls the tests need and .NET does not expose: hard links, FIFOs and atomic exchange of two names.</summary>
internal static partial class LinuxFiles
{
    private const uint RenameExchange = 2;
    private const int AtFdCwd = -100;

    /// <summary>Makes <paramref name="newPath"/> a second name of the file <paramref name="existing"/>.</summary>
    public static void HardLink(string existing, string newPath) => Check(Link(existing, newPath), $"link {existing} {newPath}");

    public static void MakeFifo(string path) => Check(MkFifo(path, 0b110_100_100), $"mkfifo {path}");

    /// <summary>Swaps two names atomically (renameat2 RENAME_EXCHANGE): each always exists, as one or the other.</summary>
    public static void Exchange(string a, string b) => Check(RenameAt2(AtFdCwd, a, AtFdCwd, b, RenameExchange), $"exchange {a} {b}");

    private static void Check(int result, string what)
    {
        if (result != 0) throw new IOException($"{what}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
    }

    [LibraryImport("libc", EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Link(string existing, string newPath);

    [LibraryImport("libc", EntryPoint = "mkfifo", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MkFifo(string path, uint mode);

    [LibraryImport("libc", EntryPoint = "renameat2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int RenameAt2(int fromDirectory, string from, int toDirectory, string to, uint flags);
}
