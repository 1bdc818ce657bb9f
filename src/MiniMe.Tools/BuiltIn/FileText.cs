using System.Text;
using MiniMe.Tools.Paths;

namespace MiniMe.Tools.BuiltIn;

/// <summary>
/// Reading and writing text files for tools: size limits, binary and encoding checks, atomic
/// replacement. Every file is reached through a held directory handle (<see cref="ConfinedFiles"/>),
/// never by path, so what is read or replaced is what the path named when it was checked.
/// </summary>
internal static class FileText
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>The file's text, or null when it does not exist. Directories, binary files, non-UTF-8 and oversized files are refused, and so are links, FIFOs and hard-linked files.</summary>
    public static string? ReadOrNull(ConfinedFiles files, ConfinedPath path, long maxBytes)
    {
        var (directory, name) = ConfinedFiles.Split(path.RelativePath);
        if (name is null) throw new ToolFailedException($"{path.RelativePath} is a directory, not a file.");
        using var held = files.OpenDirectory(directory);
        return held is null ? null : ReadOrNull(held, name, maxBytes);
    }

    /// <summary>The text of an entry of a held directory, or null when there is none; refusals as <see cref="ReadOrNull(ConfinedFiles, ConfinedPath, long)"/>.</summary>
    public static string? ReadOrNull(ConfinedDirectory directory, string name, long maxBytes)
    {
        var opened = directory.OpenFile(name);
        switch (opened.Rejection)
        {
            case FileRejection.None:
                break;
            case FileRejection.Missing:
                return null;
            case FileRejection.Directory:
                throw new ToolFailedException(opened.Reason);
            default:
                throw new ToolRefusedException(opened.Reason);
        }
        using var stream = opened.Stream!;
        return Decode(ReadAtMost(stream, directory.PathOf(name), maxBytes), directory.PathOf(name));
    }

    /// <summary>
    /// Opens the file and closes it again, refusing what tools never read (links, FIFOs, devices,
    /// hard-linked files, a handle not where the path says), so such a file is refused before anything
    /// is shown or run; a missing file or a directory is left for the read to report.
    /// </summary>
    public static void EnsureOpenable(ConfinedFiles files, ConfinedPath path)
    {
        var (directory, name) = ConfinedFiles.Split(path.RelativePath);
        if (name is null) return;
        using var held = files.OpenDirectory(directory);
        if (held is null) return;
        var opened = held.OpenFile(name);
        opened.Stream?.Dispose();
        if (opened.Rejection is not (FileRejection.None or FileRejection.Missing or FileRejection.Directory))
            throw new ToolRefusedException(opened.Reason);
    }

    public static void CheckSize(string content, string shownPath, long maxBytes)
    {
        var bytes = Encoding.UTF8.GetByteCount(content);
        if (bytes > maxBytes)
            throw new ToolRefusedException($"The new content of {shownPath} is {bytes} bytes; at most {maxBytes} (tools.maxFileBytes).");
    }

    /// <summary>Refuses to act on a file that changed after the user saw the diff.</summary>
    public static void EnsureUnchanged(ConfinedFiles files, ConfinedPath path, string? expected, long maxBytes)
    {
        if (!string.Equals(ReadOrNull(files, path, maxBytes), expected, StringComparison.Ordinal))
            throw Changed(path);
    }

    /// <summary>
    /// Replaces the file with <paramref name="content"/> (or deletes it when that is null) if it still
    /// holds <paramref name="expected"/> (null: it must not exist). The check and the change go through
    /// one held handle of the parent directory: a temporary file written and flushed there, then renamed
    /// over the target. Missing directories are created, one by one, under held handles.
    /// </summary>
    public static void Write(ConfinedFiles files, ConfinedPath path, string? content, string? expected, long maxBytes)
    {
        var (directory, name) = ConfinedFiles.Split(path.RelativePath);
        if (name is null) throw new ToolFailedException($"{path.RelativePath} is a directory, not a file.");
        var held = files.OpenDirectory(directory);
        try
        {
            var now = held is null ? null : ReadOrNull(held, name, maxBytes);
            if (!string.Equals(now, expected, StringComparison.Ordinal)) throw Changed(path);
            if (content is null)
            {
                if (held is null) throw new ToolFailedException($"{path.RelativePath} does not exist.");
                held.Delete(name);
                return;
            }
            held ??= files.CreateDirectory(directory);
            held.Replace(name, Utf8.GetBytes(content));
        }
        finally
        {
            held?.Dispose();
        }
    }

    private static ToolFailedException Changed(ConfinedPath path) =>
        new($"{path.RelativePath} changed after the change was shown; nothing was written. Propose it again.");

    private static byte[] ReadAtMost(FileStream stream, string shownPath, long maxBytes)
    {
        var length = stream.Length;
        if (length > maxBytes)
            throw new ToolFailedException($"{shownPath} is {length} bytes; tools handle files up to {maxBytes} bytes (tools.maxFileBytes).");
        // The file may grow after the length was taken: read one byte past the limit to notice.
        var buffer = new byte[Math.Min(length, maxBytes) + 1];
        var filled = 0;
        while (true)
        {
            if (filled == buffer.Length)
            {
                if (buffer.Length > maxBytes)
                    throw new ToolFailedException($"{shownPath} is more than {maxBytes} bytes; tools handle files up to {maxBytes} bytes (tools.maxFileBytes).");
                Array.Resize(ref buffer, (int)Math.Min(maxBytes + 1, buffer.Length * 2L));
            }
            var read = stream.Read(buffer, filled, buffer.Length - filled);
            if (read == 0) break;
            filled += read;
        }
        return buffer[..filled];
    }

    private static string Decode(byte[] bytes, string shownPath)
    {
        if (Array.IndexOf(bytes, (byte)0) >= 0)
            throw new ToolFailedException($"{shownPath} is a binary file; tools only handle text.");
        try
        {
            var text = StrictUtf8.GetString(bytes);
            return text.Length > 0 && text[0] == '\uFEFF' ? text[1..] : text;
        }
        catch (DecoderFallbackException)
        {
            throw new ToolFailedException($"{shownPath} is not UTF-8 text.");
        }
    }
}
