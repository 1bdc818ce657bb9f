using System.Security.Cryptography;
using System.Text;

namespace MiniMe.Memory.Import;

public enum SkipReason
{
    Binary,
    TooLarge,
    Unreadable,
}

/// <summary>The outcome of reading one file for import.</summary>
public abstract record SourceFile(string Path)
{
    public sealed record Text(string Path, string Content, string ContentHash, long SizeBytes, DateTimeOffset ModifiedAt, bool DecodedAsLatin1) : SourceFile(Path);

    public sealed record Skipped(string Path, SkipReason Reason, string Detail) : SourceFile(Path);
}

/// <summary>
/// Reads a file as text: refuses binaries (known extensions, NUL bytes, control characters),
/// files over the size limit and unreadable files; decodes UTF-8 (BOM or not) and UTF-16 with BOM,
/// and falls back to Latin-1 for other 8-bit text so nothing is lost or mangled silently.
/// </summary>
public static class SourceFileReader
{
    private static readonly HashSet<string> BinaryExtensions = new(StringComparer.OrdinalIgnoreCase)
    {
        ".png", ".jpg", ".jpeg", ".gif", ".bmp", ".ico", ".webp", ".tif", ".tiff", ".psd",
        ".zip", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar", ".tar", ".zst",
        ".dll", ".exe", ".so", ".dylib", ".a", ".o", ".obj", ".lib", ".pdb", ".class", ".jar", ".wasm", ".pyc",
        ".pdf", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".odt",
        ".mp3", ".mp4", ".wav", ".ogg", ".flac", ".avi", ".mov", ".mkv", ".webm",
        ".ttf", ".otf", ".woff", ".woff2", ".eot", ".db", ".sqlite", ".onnx", ".bin", ".dat", ".nupkg",
    };

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static SourceFile Read(string path, long maxBytes)
    {
        if (BinaryExtensions.Contains(System.IO.Path.GetExtension(path)))
            return new SourceFile.Skipped(path, SkipReason.Binary, "binary file type");
        byte[] bytes;
        FileInfo info;
        try
        {
            info = new FileInfo(path);
            if (info.Length > maxBytes)
                return new SourceFile.Skipped(path, SkipReason.TooLarge, $"{info.Length:N0} bytes is over the {maxBytes:N0}-byte limit (import.maxFileBytes)");
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new SourceFile.Skipped(path, SkipReason.Unreadable, e.Message);
        }
        if (bytes.Length > maxBytes)
            return new SourceFile.Skipped(path, SkipReason.TooLarge, $"{bytes.Length:N0} bytes is over the {maxBytes:N0}-byte limit (import.maxFileBytes)");

        var hash = Convert.ToHexStringLower(SHA256.HashData(bytes));
        var decoded = Decode(bytes);
        if (decoded is null)
            return new SourceFile.Skipped(path, SkipReason.Binary, "binary content");
        var (content, latin1) = decoded.Value;
        return new SourceFile.Text(path, content, hash, bytes.Length, info.LastWriteTimeUtc, latin1);
    }

    /// <summary>Decodes text, or returns null for binary content.</summary>
    public static (string Content, bool Latin1)? Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
            bytes = bytes[3..];
        else if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]))
            return (Encoding.Unicode.GetString(bytes[2..]), false);
        else if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]))
            return (Encoding.BigEndianUnicode.GetString(bytes[2..]), false);

        if (LooksBinary(bytes)) return null;
        try
        {
            return (StrictUtf8.GetString(bytes), false);
        }
        catch (DecoderFallbackException)
        {
            return (Encoding.Latin1.GetString(bytes), true);
        }
    }

    private static bool LooksBinary(ReadOnlySpan<byte> bytes)
    {
        var sample = bytes[..Math.Min(bytes.Length, 8192)];
        if (sample.Contains((byte)0)) return true;
        var control = 0;
        foreach (var b in sample)
            if (b < 0x20 && b is not ((byte)'\n' or (byte)'\r' or (byte)'\t' or 0x0C or 0x1B))
                control++;
        return sample.Length > 0 && control * 10 > sample.Length;
    }
}
