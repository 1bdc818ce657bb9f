using System.Text;

namespace MiniMe.Tools.BuiltIn;

/// <summary>Reading and writing text files for tools: size limits, binary and encoding checks, atomic replacement.</summary>
internal static class FileText
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The file's text, or null when it does not exist. Directories, binary files, non-UTF-8 and oversized files are refused.</summary>
    public static string? ReadOrNull(string fullPath, string shownPath, long maxBytes)
    {
        if (Directory.Exists(fullPath)) throw new ToolFailedException($"{shownPath} is a directory, not a file.");
        if (!File.Exists(fullPath)) return null;
        var info = new FileInfo(fullPath);
        if (info.Length > maxBytes)
            throw new ToolFailedException($"{shownPath} is {info.Length} bytes; tools handle files up to {maxBytes} bytes (tools.maxFileBytes).");
        var bytes = File.ReadAllBytes(fullPath);
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

    public static void CheckSize(string content, string shownPath, long maxBytes)
    {
        var bytes = Encoding.UTF8.GetByteCount(content);
        if (bytes > maxBytes)
            throw new ToolRefusedException($"The new content of {shownPath} is {bytes} bytes; at most {maxBytes} (tools.maxFileBytes).");
    }

    /// <summary>Writes next to the target, then renames over it: readers never see half a file. Keeps the old file's permissions.</summary>
    public static void WriteAtomically(string fullPath, string content)
    {
        var directory = Path.GetDirectoryName(fullPath)!;
        Directory.CreateDirectory(directory);
        var temporary = Path.Join(directory, $".{Path.GetFileName(fullPath)}.minime-{Guid.NewGuid():N}.tmp");
        try
        {
            File.WriteAllText(temporary, content, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
            if (!OperatingSystem.IsWindows() && File.Exists(fullPath))
                File.SetUnixFileMode(temporary, File.GetUnixFileMode(fullPath));
            File.Move(temporary, fullPath, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    /// <summary>Refuses to act on a file that changed after the user saw the diff.</summary>
    public static void EnsureUnchanged(string fullPath, string shownPath, string? expected, long maxBytes)
    {
        var now = ReadOrNull(fullPath, shownPath, maxBytes);
        if (!string.Equals(now, expected, StringComparison.Ordinal))
            throw new ToolFailedException($"{shownPath} changed after the change was shown; nothing was written. Propose it again.");
    }
}
