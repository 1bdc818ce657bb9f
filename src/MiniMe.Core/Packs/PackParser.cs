using System.Text;
using System.Text.RegularExpressions;
using MiniMe.Configuration;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace MiniMe.Packs;

/// <summary>
/// Reads a knowledge pack: a folder holding pack.yaml (its documents are files in that folder), or one
/// *.pack.yaml file (its documents are written inline). The YAML goes through <see cref="SafeYamlLoader"/>
/// (size, nesting and aliases bounded); unknown keys, missing or ill-typed values and limits are each
/// reported as one "file:line:column: problem" line, all of them at once (<see cref="InvalidPackException"/>).
/// </summary>
public static partial class PackParser
{
    public const string ManifestName = "pack.yaml";
    public const string SingleFileSuffix = ".pack.yaml";

    public const int MaxNameLength = 64;
    public const int MaxTopics = 50;
    public const int MaxTopicLength = 80;
    public const int MaxRules = 100;
    public const int MaxFacts = 200;
    public const int MaxDocuments = 50;
    public const int MaxTextLength = 2000;
    public const int MaxDescriptionLength = 2000;
    public const int MaxDocumentBytes = 256 * 1024;
    public const int MaxPackBytes = 4 * 1024 * 1024;

    /// <summary>Extensions a document file may have (Markdown or plain text).</summary>
    public static IReadOnlyList<string> DocumentExtensions { get; } = [".md", ".markdown", ".txt"];

    private static readonly string[] TopKeys = ["name", "version", "description", "topics", "facts", "rules", "documents"];

    /// <summary>
    /// Loads the pack at <paramref name="path"/>: a folder (its pack.yaml), a pack.yaml file (its folder),
    /// or a *.pack.yaml file (a single-file pack).
    /// </summary>
    public static LoadedPack Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path);
        string manifest;
        string? folder;
        if (Directory.Exists(full))
        {
            manifest = Path.Combine(full, ManifestName);
            folder = full;
            if (!File.Exists(manifest))
                throw new NotFoundException($"{path} has no {ManifestName}; a pack is a folder with {ManifestName} or a single *{SingleFileSuffix} file (`minime packs create NAME` makes one).");
        }
        else if (File.Exists(full))
        {
            manifest = full;
            var name = Path.GetFileName(full);
            if (string.Equals(name, ManifestName, StringComparison.OrdinalIgnoreCase)) folder = Path.GetDirectoryName(full)!;
            else if (name.EndsWith(SingleFileSuffix, StringComparison.OrdinalIgnoreCase)) folder = null;
            else throw new InvalidInputException($"{path} is neither a pack folder, a {ManifestName} nor a *{SingleFileSuffix} file.");
        }
        else
        {
            throw new NotFoundException($"No pack at {path}: no such file or folder.");
        }

        byte[] bytes;
        try
        {
            bytes = Encoding.UTF8.GetBytes(SafeYamlLoader.ReadFile(manifest));
        }
        catch (ConfigException e)
        {
            throw new InvalidPackException([e.Message]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidInputException($"Cannot read {manifest}: {e.Message}", e);
        }
        return Parse(bytes, manifest, folder);
    }

    /// <summary>A single-file pack sent as text (an upload): documents must be inline.</summary>
    public static LoadedPack ParseSingleFile(string yaml, string sourceName) => Parse(Encoding.UTF8.GetBytes(yaml), sourceName, folder: null);

    /// <summary>
    /// Parses a manifest. With <paramref name="folder"/> document paths are read from that folder (and
    /// must stay inside it); without one (a single-file pack) a document path is a problem.
    /// </summary>
    public static LoadedPack Parse(byte[] manifest, string sourceName, string? folder)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(sourceName);
        var yaml = Encoding.UTF8.GetString(manifest);
        if (yaml.Length > 0 && yaml[0] == '\uFEFF') yaml = yaml[1..];
        var stream = new YamlStream();
        try
        {
            SafeYamlLoader.Load(stream, yaml, sourceName);
        }
        catch (ConfigException e)
        {
            throw new InvalidPackException([e.Message]);
        }
        catch (YamlException e)
        {
            var reason = e.InnerException?.Message ?? e.Message;
            var cut = reason.LastIndexOf("): ", StringComparison.Ordinal);
            throw new InvalidPackException([$"{sourceName}:{e.Start.Line}:{e.Start.Column}: invalid YAML: {(cut >= 0 ? reason[(cut + 3)..] : reason)}"]);
        }
        catch (InvalidOperationException)
        {
            throw new InvalidPackException([$"{sourceName}: invalid YAML: the text ends inside a construct (an unclosed bracket or quote?)"]);
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
            throw new InvalidPackException([$"{sourceName}:1:1: the pack is empty; write at least name, version and topics"]);
        if (stream.Documents.Count > 1)
            throw new InvalidPackException([$"{sourceName}:{stream.Documents[1].RootNode.Start.Line}:1: a pack is one YAML document; remove the second '---'"]);

        var reader = new Reader(sourceName);
        var pack = Read(reader, stream.Documents[0].RootNode, folder, out var files);
        if (reader.Problems.Count > 0 || pack is null) throw new InvalidPackException(reader.Problems);
        return new LoadedPack(pack, manifest, files);
    }

    private static KnowledgePack? Read(Reader reader, YamlNode rootNode, string? folder, out List<PackFile> files)
    {
        files = [];
        if (rootNode is not YamlMappingNode root)
        {
            reader.Problem(rootNode, "a pack is a mapping of keys (name, version, description, topics, facts, rules, documents)");
            return null;
        }
        string? name = null, description = null;
        PackVersion? version = null;
        List<string> topics = [], rules = [];
        List<PackFact> facts = [];
        List<PackDocument> documents = [];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, value) in reader.Fields(root, "the pack", TopKeys))
        {
            seen.Add(key);
            switch (key)
            {
                case "name": name = ReadName(reader, value); break;
                case "version": version = ReadVersion(reader, value); break;
                case "description": description = reader.Text(value, "description", MaxDescriptionLength); break;
                case "topics": topics = ReadTopics(reader, value); break;
                case "facts": facts = ReadFacts(reader, value); break;
                case "rules": rules = [.. reader.Texts(value, "rules", "rule", MaxRules, MaxTextLength).Select(r => r.Text)]; break;
                default: documents = ReadDocuments(reader, value, folder, files); break;
            }
        }
        foreach (var required in new[] { "name", "version", "topics" })
            if (!seen.Contains(required) && !reader.Suggested(root, required))
                reader.Problem(root, $"'{required}' is missing; {Required(required)}");
        if (seen.Contains("topics") && topics.Count == 0 && reader.Problems.Count == 0)
            reader.Problem(root, "'topics' is empty; a pack without topics never joins a run's context");
        if (rules.Count == 0 && facts.Count == 0 && documents.Count == 0 && reader.Problems.Count == 0)
            reader.Problem(root, "the pack has no rules, facts or documents; give it something to add to the context");
        var total = files.Sum(f => (long)f.Bytes.Length);
        if (total > MaxPackBytes)
            reader.Problem(root, $"the pack's documents are {total / 1024} KiB together; a pack holds at most {MaxPackBytes / (1024 * 1024)} MiB");
        if (name is null || version is null) return null;
        return new KnowledgePack(name, version, description?.Trim() ?? "", topics, facts, rules, documents);
    }

    private static string Required(string key) => key switch
    {
        "name" => "name the pack with a slug (lowercase letters, digits, '-'), e.g. name: postgres-ops",
        "version" => "give the pack a version, e.g. version: 1.0.0",
        _ => "list the words or phrases that make the pack join a task, e.g. topics: [postgres, vacuum]",
    };

    private static string? ReadName(Reader reader, YamlNode node)
    {
        var text = reader.Text(node, "name", MaxNameLength);
        if (text is null) return null;
        if (!IsName(text))
        {
            reader.Problem(node, $"name '{text}' is not a slug; use lowercase letters, digits and '-' (starting with a letter or digit), e.g. postgres-ops");
            return null;
        }
        return text;
    }

    /// <summary>A pack name: a slug, safe as a folder name and in a URL.</summary>
    public static bool IsName(string? text) => text is not null && NamePattern().IsMatch(text);

    private static PackVersion? ReadVersion(Reader reader, YamlNode node)
    {
        var text = reader.Text(node, "version", 64);
        if (text is null) return null;
        if (!PackVersion.TryParse(text, out var version))
        {
            reader.Problem(node, $"version '{text}' is not a version; write numbers separated by dots, e.g. 1.0.0 or 2.1.0-beta.1");
            return null;
        }
        return version;
    }

    private static List<string> ReadTopics(Reader reader, YamlNode node)
    {
        var result = new List<string>();
        foreach (var (text, at) in reader.Texts(node, "topics", "topic", MaxTopics, MaxTopicLength))
        {
            var topic = string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)).ToLowerInvariant();
            if (!topic.Any(char.IsLetterOrDigit)) reader.Problem(at, $"topic '{text}' has no letters or digits to match a task with");
            else if (result.Contains(topic, StringComparer.Ordinal)) reader.Problem(at, $"topic '{topic}' is listed twice");
            else result.Add(topic);
        }
        return result;
    }

    private static List<PackFact> ReadFacts(Reader reader, YamlNode node)
    {
        var facts = new List<PackFact>();
        if (Reader.IsEmpty(node)) return facts;
        if (node is not YamlSequenceNode list)
        {
            reader.Problem(node, "facts must be a list of facts, each '- text: ...' with an optional 'category: ...'");
            return facts;
        }
        if (list.Children.Count > MaxFacts) reader.Problem(list.Children[MaxFacts], $"facts: more than {MaxFacts}; a pack holds at most {MaxFacts} facts");
        for (var i = 0; i < Math.Min(list.Children.Count, MaxFacts); i++)
        {
            var item = list.Children[i];
            var what = $"fact #{i + 1}";
            if (item is YamlScalarNode)
            {
                reader.Problem(item, $"{what} must be a mapping with text (and optionally category), e.g. '- text: ...'");
                continue;
            }
            if (item is not YamlMappingNode map)
            {
                reader.Problem(item, $"{what} must be a mapping with text and category");
                continue;
            }
            string? text = null, category = null;
            foreach (var (key, value) in reader.Fields(map, what, "text", "category"))
            {
                if (key == "text") text = reader.Text(value, $"{what}: text", MaxTextLength);
                else category = reader.Text(value, $"{what}: category", 64);
            }
            if (string.IsNullOrWhiteSpace(text))
            {
                if (!reader.Suggested(map, "text")) reader.Problem(map, $"{what} has no text");
            }
            else facts.Add(new PackFact(text.Trim(), string.IsNullOrWhiteSpace(category) ? "general" : category.Trim().ToLowerInvariant()));
        }
        return facts;
    }

    private static List<PackDocument> ReadDocuments(Reader reader, YamlNode node, string? folder, List<PackFile> files)
    {
        var documents = new List<PackDocument>();
        if (Reader.IsEmpty(node)) return documents;
        if (node is not YamlSequenceNode list)
        {
            reader.Problem(node, "documents must be a list: file paths inside the pack folder, or '- title: ...' with 'text: ...'");
            return documents;
        }
        if (list.Children.Count > MaxDocuments) reader.Problem(list.Children[MaxDocuments], $"documents: more than {MaxDocuments}; a pack holds at most {MaxDocuments} documents");
        var paths = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < Math.Min(list.Children.Count, MaxDocuments); i++)
        {
            var item = list.Children[i];
            var what = $"document #{i + 1}";
            switch (item)
            {
                case YamlScalarNode { Value: { Length: > 0 } relative }:
                    if (ReadFile(reader, item, relative, folder) is { } file)
                    {
                        if (!paths.Add(file.Path))
                        {
                            reader.Problem(item, $"{what}: {file.Path} is listed twice");
                            break;
                        }
                        files.Add(file);
                        documents.Add(new PackDocument(file.Path, file.Path, Encoding.UTF8.GetString(file.Bytes)));
                    }
                    break;
                case YamlMappingNode map:
                    string? title = null, text = null;
                    foreach (var (key, value) in reader.Fields(map, what, "title", "text"))
                    {
                        if (key == "title") title = reader.Text(value, $"{what}: title", 200);
                        else text = reader.Text(value, $"{what}: text", MaxDocumentBytes);
                    }
                    if (string.IsNullOrWhiteSpace(title))
                    {
                        if (!reader.Suggested(map, "title")) reader.Problem(map, $"{what} has no title");
                    }
                    else if (string.IsNullOrWhiteSpace(text))
                    {
                        if (!reader.Suggested(map, "text")) reader.Problem(map, $"{what} ('{title}') has no text");
                    }
                    else documents.Add(new PackDocument(title.Trim(), null, text));
                    break;
                default:
                    reader.Problem(item, $"{what} must be a file path inside the pack folder or a mapping with title and text");
                    break;
            }
        }
        return documents;
    }

    /// <summary>A document file named in the manifest: relative, inside the folder, Markdown or text, not too large, UTF-8.</summary>
    private static PackFile? ReadFile(Reader reader, YamlNode node, string relative, string? folder)
    {
        var shown = relative.Replace('\\', '/');
        if (folder is null)
        {
            reader.Problem(node, $"document '{shown}' is a file path, but a single-file pack has no folder; write it inline as '- title: ...' with 'text: ...', or make the pack a folder with {ManifestName}");
            return null;
        }
        if (Path.IsPathRooted(shown) || shown.Split('/').Any(part => part is ".." or "") || shown.StartsWith('~'))
        {
            reader.Problem(node, $"document '{shown}' must be a relative path inside the pack folder (no '..', not absolute)");
            return null;
        }
        if (!DocumentExtensions.Contains(Path.GetExtension(shown), StringComparer.OrdinalIgnoreCase))
        {
            reader.Problem(node, $"document '{shown}' is not Markdown or text; use {string.Join(", ", DocumentExtensions)}");
            return null;
        }
        var root = Path.GetFullPath(folder);
        var full = Path.GetFullPath(Path.Combine(root, shown));
        if (!full.StartsWith(Path.TrimEndingDirectorySeparator(root) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            reader.Problem(node, $"document '{shown}' is outside the pack folder");
            return null;
        }
        var info = new FileInfo(full);
        if (!info.Exists)
        {
            reader.Problem(node, $"document '{shown}' does not exist in {root}");
            return null;
        }
        if (info.LinkTarget is not null)
        {
            reader.Problem(node, $"document '{shown}' is a symbolic link; copy the file into the pack folder instead");
            return null;
        }
        if (info.Length > MaxDocumentBytes)
        {
            reader.Problem(node, $"document '{shown}' is {info.Length / 1024} KiB; a document holds at most {MaxDocumentBytes / 1024} KiB (split it)");
            return null;
        }
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(full);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            reader.Problem(node, $"document '{shown}' cannot be read: {e.Message}");
            return null;
        }
        if (bytes.Length > MaxDocumentBytes)
        {
            reader.Problem(node, $"document '{shown}' is over {MaxDocumentBytes / 1024} KiB");
            return null;
        }
        if (Array.IndexOf(bytes, (byte)0) >= 0 || !IsUtf8(bytes))
        {
            reader.Problem(node, $"document '{shown}' is not UTF-8 text");
            return null;
        }
        return new PackFile(shown, bytes);
    }

    private static bool IsUtf8(byte[] bytes)
    {
        try
        {
            _ = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,63}$")]
    private static partial Regex NamePattern();

    /// <summary>Reads nodes of one manifest, collecting every problem with file:line:column, in words (never a .NET type).</summary>
    private sealed class Reader(string source)
    {
        private readonly Dictionary<YamlMappingNode, HashSet<string>> _suggested = new(ReferenceEqualityComparer.Instance);

        public List<string> Problems { get; } = [];

        /// <summary>Whether an unknown key of <paramref name="map"/> was reported as a typo of <paramref name="key"/> (so "missing" would say it twice).</summary>
        public bool Suggested(YamlMappingNode map, string key) => _suggested.TryGetValue(map, out var keys) && keys.Contains(key);

        public void Problem(YamlNode node, string message) => Problems.Add($"{source}:{node.Start.Line}:{node.Start.Column}: {message}");

        /// <summary>A plain empty value, ~ or null: the key is left out.</summary>
        public static bool IsEmpty(YamlNode node) => node is YamlScalarNode { Value: null or "" or "~" or "null" or "Null" or "NULL", Style: ScalarStyle.Plain };

        /// <summary>The entries of <paramref name="map"/> whose key is one of <paramref name="known"/> (exact, lowercase); each other key is a problem.</summary>
        public IEnumerable<(string Key, YamlNode Value)> Fields(YamlMappingNode map, string what, params string[] known)
        {
            foreach (var (keyNode, value) in map.Children)
            {
                if (keyNode is not YamlScalarNode { Value: { } key })
                {
                    Problem(keyNode, $"{what}: expected a plain key");
                    continue;
                }
                if (!known.Contains(key, StringComparer.Ordinal))
                {
                    var suggestion = SettingKeys.Closest(key, known);
                    if (suggestion is not null)
                    {
                        if (!_suggested.TryGetValue(map, out var keys)) _suggested[map] = keys = new HashSet<string>(StringComparer.Ordinal);
                        keys.Add(suggestion);
                    }
                    Problem(keyNode, $"unknown key '{key}' in {what}; {(suggestion is null ? $"expected {string.Join(", ", known)}" : $"did you mean '{suggestion}'?")}");
                    continue;
                }
                yield return (key, value);
            }
        }

        public string? Text(YamlNode node, string what, int maxLength)
        {
            if (IsEmpty(node)) return null;
            if (node is not YamlScalarNode { Value: { } value })
            {
                Problem(node, $"{what} must be text, not a {Shape(node)}");
                return null;
            }
            if (value.Length > maxLength)
            {
                Problem(node, $"{what} is {value.Length} characters; at most {maxLength}");
                return null;
            }
            return value;
        }

        public List<(string Text, YamlNode Node)> Texts(YamlNode node, string what, string item, int maxItems, int maxLength)
        {
            if (IsEmpty(node)) return [];
            if (node is not YamlSequenceNode list)
            {
                Problem(node, $"{what} must be a list of text ([a, b] or one '- {item}' per line), not a {Shape(node)}");
                return [];
            }
            if (list.Children.Count > maxItems) Problem(list.Children[maxItems], $"{what}: more than {maxItems}; a pack holds at most {maxItems} {what}");
            var result = new List<(string, YamlNode)>();
            for (var i = 0; i < Math.Min(list.Children.Count, maxItems); i++)
            {
                var child = list.Children[i];
                if (child is not YamlScalarNode { Value: { } v } || IsEmpty(child))
                    Problem(child, $"{what}: {item} #{i + 1} must be text, not {(IsEmpty(child) ? "empty" : $"a {Shape(child)}")}");
                else if (v.Length > maxLength)
                    Problem(child, $"{what}: {item} #{i + 1} is {v.Length} characters; at most {maxLength}");
                else if (string.IsNullOrWhiteSpace(v))
                    Problem(child, $"{what}: {item} #{i + 1} is blank");
                else
                    result.Add((v.Trim(), child));
            }
            return result;
        }

        private static string Shape(YamlNode node) => node switch
        {
            YamlSequenceNode => "list",
            YamlMappingNode => "mapping",
            _ => "value",
        };
    }
}
