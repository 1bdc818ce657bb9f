namespace MiniMe.Packs;

/// <summary>A fact a pack brings to the context ("PgBouncer in transaction mode breaks session settings").</summary>
public sealed record PackFact(string Text, string Category);

/// <summary>A document of a pack: a Markdown or text file inside the pack folder, or text written inline.</summary>
/// <param name="Title">The file's relative path, or the inline document's title.</param>
/// <param name="Path">The file's path relative to the pack folder (forward slashes); null for an inline document.</param>
public sealed record PackDocument(string Title, string? Path, string Text);

/// <summary>
/// A knowledge pack (pack.yaml in a folder, or one *.pack.yaml file): what a user installs to give
/// MiniMe rules, facts and reference text on a topic. It joins a run's context when one of its
/// topics matches the task.
/// </summary>
public sealed record KnowledgePack(
    string Name,
    PackVersion Version,
    string Description,
    IReadOnlyList<string> Topics,
    IReadOnlyList<PackFact> Facts,
    IReadOnlyList<string> Rules,
    IReadOnlyList<PackDocument> Documents);

/// <summary>
/// A pack read from disk or a request, with the exact bytes it consists of: the manifest and every
/// document file it names (what an import copies, and what its content hash is computed over).
/// </summary>
/// <param name="Files">The document files, by path relative to the pack folder (forward slashes), in the order listed.</param>
public sealed record LoadedPack(KnowledgePack Pack, byte[] Manifest, IReadOnlyList<PackFile> Files)
{
    /// <summary>SHA-256 over the manifest and each file (its path and bytes): equal for equal content, whatever folder it came from.</summary>
    public string ContentHash
    {
        get
        {
            using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
            void Part(byte[] bytes)
            {
                hash.AppendData(BitConverter.GetBytes((long)bytes.Length));
                hash.AppendData(bytes);
            }
            Part(Manifest);
            foreach (var file in Files)
            {
                Part(System.Text.Encoding.UTF8.GetBytes(file.Path));
                Part(file.Bytes);
            }
            return Convert.ToHexStringLower(hash.GetHashAndReset());
        }
    }
}

/// <summary>A document file of a pack: its path relative to the pack folder (forward slashes) and its bytes.</summary>
public sealed record PackFile(string Path, byte[] Bytes);

/// <summary>A pack file that cannot be used: one "file:line:column: problem" line per problem, all of them.</summary>
public sealed class InvalidPackException(IReadOnlyList<string> problems)
    : MiniMeException(ErrorCategory.InvalidInput, string.Join('\n', problems))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}
