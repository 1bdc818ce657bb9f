using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace MiniMe.Embeddings;

/// <summary>Content-derived model ids (see <see cref="OnnxEmbeddingGenerator.ModelId"/>) and the cached SHA-256 of model files.</summary>
internal static class ModelIdentity
{
    private const string SidecarSuffix = ".sha256";
    private static readonly ConcurrentDictionary<(string Path, long Size, long Ticks), string> Hashes = new();

    /// <summary>
    /// <c>{name}-{first 12 hex of the model SHA-256}-{pooling}</c>, plus <c>-{8 hex}</c> of the prefixes, window and
    /// text settings when they are not the model's defaults; only <c>[a-z0-9-]</c>.
    /// </summary>
    public static string Build(OnnxEmbeddingOptions options, string modelSha256)
    {
        var bundled = BundledModels.All.FirstOrDefault(m => m.ModelSha256 == modelSha256);
        var name = Sanitize(options.ModelName ?? bundled?.Name ?? "onnx");
        var pooling = options.Pooling.ToString().ToLowerInvariant();
        var id = $"{name}-{modelSha256[..12]}-{pooling}";
        var defaults = new OnnxEmbeddingOptions
        {
            ModelPath = options.ModelPath,
            VocabPath = options.VocabPath,
            MaxTokens = bundled?.MaxTokens ?? 256,
            QueryPrefix = bundled?.QueryPrefix ?? "",
            DocumentPrefix = bundled?.DocumentPrefix ?? "",
        };
        var settings = Settings(options);
        return settings == Settings(defaults)
            ? id
            : $"{id}-{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(settings)))[..8]}";
    }

    /// <summary>
    /// Lower-case hex SHA-256 of <paramref name="path"/>, streamed once and kept in a sidecar <c>&lt;file&gt;.sha256</c>
    /// (size, modification time, hash) when the folder is writable, else in memory for this process.
    /// </summary>
    public static string FileSha256(string path)
    {
        var info = new FileInfo(path);
        var key = (info.FullName, info.Length, info.LastWriteTimeUtc.Ticks);
        if (Hashes.TryGetValue(key, out var known))
        {
            return known;
        }

        var sidecar = path + SidecarSuffix;
        var prefix = FormattableString.Invariant($"{info.Length} {info.LastWriteTimeUtc.Ticks} ");
        try
        {
            var text = File.ReadAllText(sidecar).Trim();
            if (text.StartsWith(prefix, StringComparison.Ordinal) && text.Length == prefix.Length + 64)
            {
                return Hashes[key] = text[prefix.Length..];
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // No sidecar yet.
        }

        string sha;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan))
        {
            sha = BundledModels.Sha256Hex(stream);
        }

        Hashes[key] = sha;
        try
        {
            var temp = $"{sidecar}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
            File.WriteAllText(temp, prefix + sha + "\n");
            File.Move(temp, sidecar, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Read-only folder: the in-memory copy serves this process.
        }

        return sha;
    }

    private static string Settings(OnnxEmbeddingOptions o) => string.Create(
        CultureInfo.InvariantCulture,
        $"q={o.QueryPrefix}\u0001d={o.DocumentPrefix}\u0001max={o.MaxTokens}\u0001overlap={o.WindowOverlapTokens}\u0001windows={o.MaxWindows}\u0001lower={o.LowerCase}\u0001norm={o.Normalize}");

    private static string Sanitize(string name)
    {
        var builder = new StringBuilder(name.Length);
        foreach (var c in name.ToLowerInvariant())
        {
            if (c is (>= 'a' and <= 'z') or (>= '0' and <= '9'))
            {
                builder.Append(c);
            }
            else if (builder.Length > 0 && builder[^1] != '-')
            {
                builder.Append('-');
            }
        }

        var result = builder.ToString().Trim('-');
        return result.Length == 0 ? "onnx" : result;
    }
}
