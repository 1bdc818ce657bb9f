using System.Globalization;
using System.Text;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;
using YamlDotNet.Serialization;

namespace MiniMe.Configuration;

/// <summary>
/// The one way MiniMe reads YAML (config.yaml, identity.yaml, allowlist.yaml, a profile sent to the
/// server). Before any tree or object is built, the document's size and its parser events are checked:
/// at most <see cref="MaxBytes"/>, nested at most <see cref="MaxDepth"/> levels, at most
/// <see cref="MaxAliases"/> aliases, and at most <see cref="MaxNodes"/> nodes once every alias is
/// expanded. An alias bomb ("billion laughs") or a megabyte of '[' is refused with file:line:column
/// at a bounded cost, instead of growing the process by gigabytes or overflowing the stack later.
/// Syntax errors are left to surface as the <see cref="YamlException"/> the caller already reports.
/// </summary>
public static class SafeYamlLoader
{
    public const int MaxBytes = 1024 * 1024;
    public const int MaxDepth = 64;
    public const int MaxAliases = 100;
    public const long MaxNodes = 100_000;

    /// <summary>
    /// Reads a YAML file, refusing one larger than <see cref="MaxBytes"/> without reading the rest of it.
    /// I/O errors propagate as <see cref="IOException"/> / <see cref="UnauthorizedAccessException"/>.
    /// </summary>
    public static string ReadFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1, FileOptions.SequentialScan);
        if (stream.CanSeek && stream.Length > MaxBytes) throw TooLarge(path, stream.Length);
        // Read at most one byte past the limit: a file that grows (or a device that never ends) stops there.
        using var memory = new MemoryStream(stream.CanSeek ? (int)stream.Length : 0);
        var chunk = new byte[64 * 1024];
        int n;
        while (memory.Length <= MaxBytes && (n = stream.Read(chunk, 0, (int)Math.Min(chunk.Length, MaxBytes + 1 - memory.Length))) > 0)
            memory.Write(chunk, 0, n);
        if (memory.Length > MaxBytes) throw TooLarge(path, stream.CanSeek ? Math.Max(stream.Length, memory.Length) : memory.Length);
        memory.Position = 0;
        using var reader = new StreamReader(memory, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return reader.ReadToEnd();
    }

    /// <summary>Checks <paramref name="yaml"/> against the limits; throws a <see cref="ConfigException"/> naming <paramref name="sourceName"/> when over.</summary>
    public static void Check(string yaml, string sourceName)
    {
        var parser = Open(yaml, sourceName);
        while (parser.MoveNext())
        {
        }
    }

    /// <summary>
    /// Loads <paramref name="yaml"/> into <paramref name="stream"/> in one pass of the parser, the limits
    /// checked on each event before the tree takes it (the tree never expands an alias, so nothing
    /// outgrows them before they are checked). The errors are those of checking the whole text first,
    /// then loading it: a syntax error or a limit anywhere in the text wins over a loading error
    /// (a duplicate key, an unknown alias) met earlier, so the rest is read through before it is thrown.
    /// </summary>
    public static void Load(YamlStream stream, string yaml, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var parser = Open(yaml, sourceName);
        try
        {
            stream.Load(parser);
        }
        catch (Exception) when (!parser.Failed)
        {
            while (parser.MoveNext())
            {
            }
            throw;
        }
    }

    private static LimitedParser Open(string yaml, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        ArgumentNullException.ThrowIfNull(sourceName);
        if (yaml.Length > MaxBytes || Encoding.UTF8.GetByteCount(yaml) > MaxBytes)
            throw TooLarge(sourceName, Encoding.UTF8.GetByteCount(yaml));
        return new LimitedParser(new Parser(new StringReader(yaml)), sourceName);
    }

    /// <summary>The parser's events, each checked against the limits as it is read; <see cref="Failed"/> once the parser or a limit threw.</summary>
    private sealed class LimitedParser(Parser parser, string sourceName) : IParser
    {
        private readonly Dictionary<string, long> _anchors = new(StringComparer.Ordinal);
        // One frame per open collection: its anchor and the node count when it opened (a class: a stack of
        // tuples would be JIT-compiled at start-up, a stack of references is precompiled).
        private readonly Stack<Frame> _open = new();
        private long _nodes;
        private int _aliases;

        public bool Failed { get; private set; }

        public ParsingEvent? Current => parser.Current;

        public bool MoveNext()
        {
            try
            {
                if (!parser.MoveNext()) return false;
                Count(parser.Current!);
                return true;
            }
            catch
            {
                Failed = true;
                throw;
            }
        }

        private void Count(ParsingEvent current)
        {
            switch (current)
            {
                case AnchorAlias alias:
                    var name = alias.Value.Value;
                    if (++_aliases > MaxAliases)
                        throw Refused(sourceName, alias.Start, $"more than {MaxAliases} YAML aliases; write the values out instead");
                    if (_open.Any(frame => frame.Anchor == name))
                        throw Refused(sourceName, alias.Start, $"the alias *{name} refers to a node that contains it");
                    // An alias whose anchor is unknown is a syntax error the loader reports; count it as one node.
                    _nodes = Add(_nodes, _anchors.TryGetValue(name, out var size) ? size : 1);
                    if (_nodes > MaxNodes)
                        throw Refused(sourceName, alias.Start, $"YAML aliases expand the document past {MaxNodes.ToString("N0", CultureInfo.InvariantCulture)} nodes (an alias bomb?)");
                    break;
                case Scalar scalar:
                    _nodes = Add(_nodes, 1);
                    if (!scalar.Anchor.IsEmpty) _anchors[scalar.Anchor.Value] = 1;
                    break;
                case NodeEvent collection and (SequenceStart or MappingStart):
                    if (_open.Count >= MaxDepth)
                        throw Refused(sourceName, collection.Start, $"YAML nested more than {MaxDepth} levels deep");
                    _open.Push(new Frame(collection.Anchor.IsEmpty ? null : collection.Anchor.Value, _nodes));
                    _nodes = Add(_nodes, 1);
                    break;
                case SequenceEnd or MappingEnd:
                    var (anchor, start) = _open.Pop();
                    if (anchor is not null) _anchors[anchor] = _nodes - start;
                    break;
            }
            if (_nodes > MaxNodes)
                throw Refused(sourceName, current.Start, $"the document has more than {MaxNodes.ToString("N0", CultureInfo.InvariantCulture)} nodes");
        }
    }

    /// <summary>Checks the limits, then deserializes <paramref name="yaml"/>.</summary>
    public static T Deserialize<T>(IDeserializer deserializer, string yaml, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(deserializer);
        Check(yaml, sourceName);
        return deserializer.Deserialize<T>(yaml);
    }

    private sealed record Frame(string? Anchor, long StartCount);

    private static long Add(long count, long more) => count > long.MaxValue - more ? long.MaxValue : count + more;

    private static ConfigException Refused(string source, Mark at, string reason) =>
        new($"{source}:{at.Line}:{at.Column}: {reason}; refused");

    private static ConfigException TooLarge(string source, long bytes) =>
        new($"{source} is {Size(bytes)}; MiniMe refuses YAML files over {Size(MaxBytes)} (is it the right file?)");

    private static string Size(long bytes) => bytes < 1024 * 1024
        ? string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.#} KiB")
        : string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0.#} MiB");
}
