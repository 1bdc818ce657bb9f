using System.Text;

namespace MiniMe.Tracing;

/// <summary>
/// Appends whole lines to a JSON Lines file (a trace, feedback.jsonl), flushed to disk. A line torn by
/// a crash mid-write (no trailing newline) is closed first, so the new line starts on a line of its
/// own: the torn line stays unreadable and is skipped by readers, the new one is never lost.
/// </summary>
internal static class JsonLinesFile
{
    // Appends from this process to one file take turns, so the last-byte check and the write are one step.
    private static readonly Lock[] Locks = [.. Enumerable.Range(0, 16).Select(_ => new Lock())];

    public static void AppendLine(string path, string line)
    {
        var bytes = Encoding.UTF8.GetBytes(line + "\n");
        lock (Locks[(uint)StringComparer.Ordinal.GetHashCode(path) % (uint)Locks.Length])
        {
            // O_APPEND: every write lands at the end, even with another process appending at the same time.
            using var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
            if (stream.Length > 0 && !EndsWithNewline(path, stream.Length))
                stream.WriteByte((byte)'\n');
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
        }
    }

    /// <summary>Reads only the last byte (an append handle cannot read).</summary>
    private static bool EndsWithNewline(string path, long length)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        Span<byte> last = stackalloc byte[1];
        return RandomAccess.Read(handle, last, length - 1) == 1 && last[0] == (byte)'\n';
    }
}
