using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using MiniMe.Configuration;
using MiniMe.Memory.Facts;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace MiniMe.Sharing;

/// <summary>
/// Reads a sharing contract (YAML, through <see cref="SafeYamlLoader"/>) into a <see cref="ShareContract"/>.
/// Unknown keys are refused with a suggestion, and every problem is collected as "file:line:col: message",
/// as <see cref="Workflows.WorkflowParser"/> reports them.
/// </summary>
public static partial class ShareContractParser
{
    public static readonly string[] TopFields = ["name", "recipient", "purpose", "k", "expires", "revocable", "quasi_identifiers", "what"];

    /// <summary>The largest k a contract may ask for.</summary>
    public const int MaxK = 100_000;

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();

    public static ShareContract LoadFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string text;
        try
        {
            text = SafeYamlLoader.ReadFile(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new NotFoundException($"No contract file '{path}'; docs/sharing.md shows the format (examples/share/study.share.yaml).");
        }
        catch (ConfigException e)
        {
            throw new ShareContractException([e.Message]);
        }
        return Load(text, path);
    }

    /// <summary>Parses and checks a contract; throws <see cref="ShareContractException"/> with every problem.</summary>
    public static ShareContract Load(string yaml, string source)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        var problems = new List<string>();
        var stream = new YamlStream();
        try
        {
            SafeYamlLoader.Load(stream, yaml, source);
        }
        catch (YamlException e)
        {
            throw new ShareContractException([$"{source}:{e.Start.Line}:{e.Start.Column}: {FirstLine(e.InnerException?.Message ?? e.Message)}"]);
        }
        catch (ConfigException e)
        {
            throw new ShareContractException([e.Message]);
        }
        catch (InvalidOperationException e)
        {
            // YamlDotNet's scanner gives up without a position on some unterminated flow collections ("[5" then a new key).
            throw new ShareContractException([$"{source}: the YAML does not parse ({FirstLine(e.Message)}); look for an unclosed [ or {{"]);
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new ShareContractException([$"{source}:1:1: a sharing contract is a YAML mapping with name, recipient, purpose, k, expires, quasi_identifiers and what"]);
        var contract = new Reader(source, problems).Contract(root);
        if (problems.Count > 0 || contract is null) throw new ShareContractException(problems);
        return contract with { Source = source, Sha256 = Hash(yaml) };
    }

    /// <summary>"sha256:" and the lower-case hex SHA-256 of the text's UTF-8 bytes.</summary>
    public static string Hash(string text) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    private static string FirstLine(string message)
    {
        var end = message.IndexOfAny(['\r', '\n']);
        return (end < 0 ? message : message[..end]).Trim();
    }

    private sealed class Reader(string source, List<string> problems) : YamlMappingReader(source, problems)
    {
        private string? Text(YamlMappingNode map, string key, bool required)
        {
            var node = Get(map, key);
            if (node is null)
            {
                if (required) Problem(map, $"the contract needs '{key}'");
                return null;
            }
            if (node is YamlScalarNode { Value: { } value } && !string.IsNullOrWhiteSpace(value)) return value.Trim();
            Problem(node, $"'{key}' must be a non-empty string");
            return null;
        }

        private List<string>? List(YamlNode node, string what)
        {
            if (node is YamlSequenceNode seq && seq.Children.All(c => c is YamlScalarNode { Value: { Length: > 0 } }))
                return [.. seq.Children.Select(c => ((YamlScalarNode)c).Value!.Trim())];
            Problem(node, $"{what} must be a list of names, e.g. [a, b]");
            return null;
        }

        public ShareContract? Contract(YamlMappingNode root)
        {
            UnknownFields(root, "the contract", TopFields);
            var name = Text(root, "name", required: true);
            if (name is not null && !NamePattern().IsMatch(name))
                Problem(Get(root, "name")!, $"the name '{name}' must be up to 64 letters, digits, '.', '-' or '_' (it names the contract in `minime share list|revoke`)");
            var recipient = Text(root, "recipient", required: true);
            var purpose = Text(root, "purpose", required: true);

            int? k = null;
            if (Get(root, "k") is not { } kNode) Problem(root, "the contract needs 'k' (the smallest group that may be shared, at least 2)");
            else if (kNode is YamlScalarNode { Value: { } kv } && int.TryParse(kv, NumberStyles.None, CultureInfo.InvariantCulture, out var kn) && kn is >= 2 and <= MaxK) k = kn;
            else Problem(kNode, $"'k' must be a whole number from 2 to {MaxK} (groups of fewer records are suppressed)");

            DateOnly? expires = null;
            if (Get(root, "expires") is not { } eNode) Problem(root, "the contract needs 'expires' (a date, YYYY-MM-DD)");
            else if (eNode is YamlScalarNode { Value: { } ev } && DateOnly.TryParseExact(ev, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var ed)) expires = ed;
            else Problem(eNode, $"'expires' must be a date, YYYY-MM-DD (e.g. 2027-06-30), not '{(eNode as YamlScalarNode)?.Value}'");

            var revocable = true;
            if (Get(root, "revocable") is { } rNode)
            {
                if (rNode is YamlScalarNode { Value: "true" or "false" } r) revocable = r.Value == "true";
                else Problem(rNode, "'revocable' must be true or false");
            }

            var qis = new List<string>();
            var qiMarks = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
            if (Get(root, "quasi_identifiers") is { } qNode)
            {
                if (qNode is YamlSequenceNode qseq)
                {
                    foreach (var item in qseq.Children)
                    {
                        if (item is not YamlScalarNode { Value: { Length: > 0 } q })
                        {
                            Problem(item, "a quasi-identifier is a name: " + string.Join(", ", ShareQuasiIdentifiers.All));
                            continue;
                        }
                        if (!ShareQuasiIdentifiers.All.Contains(q)) Problem(item, "quasi-identifier " + SettingValues.NotOneOf(q, ShareQuasiIdentifiers.All));
                        else if (!qiMarks.TryAdd(q, item)) Problem(item, $"quasi-identifier '{q}' is named twice");
                        else qis.Add(q);
                    }
                }
                else Problem(qNode, "'quasi_identifiers' must be a list, e.g. [category, month]");
            }

            var sections = new List<ShareSection>();
            if (Get(root, "what") is not { } wNode) Problem(root, "the contract needs 'what' (the sources it shares: " + string.Join(", ", ShareSourceKind.Names) + ")");
            else if (wNode is not YamlMappingNode what || what.Children.Count == 0)
                Problem(wNode, "'what' must be a mapping of sources (" + string.Join(", ", ShareSourceKind.Names) + ") to {values, measures}");
            else
            {
                UnknownFields(what, "what", ShareSourceKind.Names);
                foreach (var kind in ShareSourceKind.All)
                {
                    if (Get(what, kind.Name) is not { } sNode) continue;
                    if (Section(kind, sNode, qis, qiMarks) is { } section) sections.Add(section);
                }
                foreach (var (q, mark) in qiMarks)
                    if (!sections.Any(s => ShareSourceKind.Get(s.Source).QuasiIdentifiers.Contains(q)) && what.Children.Count > 0)
                        Problem(mark, $"quasi-identifier '{q}' applies to none of the sources in 'what' ({string.Join(", ", ShareSourceKind.All.Where(s => s.QuasiIdentifiers.Contains(q)).Select(s => s.Name))} have it)");
            }

            if (name is null || recipient is null || purpose is null || k is null || expires is null) return null;
            return new ShareContract(name, recipient, purpose, k.Value, expires.Value, revocable, qis, sections);
        }

        private ShareSection? Section(ShareSourceKind kind, YamlNode node, List<string> qis, Dictionary<string, YamlNode> qiMarks)
        {
            var where = $"what.{kind.Name}";
            var map = node switch
            {
                YamlMappingNode m => m,
                YamlScalarNode { Value: null or "" or "~" or "null" } => new YamlMappingNode(),
                _ => null,
            };
            if (map is null)
            {
                Problem(node, $"{where} must be a mapping with '{kind.FilterKey}' and 'measures' (or empty)");
                return null;
            }
            UnknownFields(map, where, [kind.FilterKey, "measures"]);
            List<string>? values = null;
            if (Get(map, kind.FilterKey) is { } vNode && List(vNode, $"{where}.{kind.FilterKey}") is { } listed)
            {
                values = [];
                foreach (var (value, item) in listed.Zip(((YamlSequenceNode)vNode).Children))
                {
                    var v = value;
                    if (kind.Name == ShareSourceKind.Facts)
                    {
                        try
                        {
                            v = FactText.NormalizeCategory(value);
                        }
                        catch (InvalidInputException e)
                        {
                            Problem(item, e.Message);
                            continue;
                        }
                    }
                    if (kind.FilterValues is { } allowed && !allowed.Contains(v))
                    {
                        Problem(item, $"{where}.{kind.FilterKey}: " + SettingValues.NotOneOf(v, allowed));
                        continue;
                    }
                    if (values.Contains(v)) Problem(item, $"{where}.{kind.FilterKey}: '{v}' is listed twice");
                    else values.Add(v);
                }
            }
            var measures = new List<string>();
            if (Get(map, "measures") is { } mNode)
            {
                if (List(mNode, $"{where}.measures") is { } listedMeasures)
                {
                    foreach (var (m, item) in listedMeasures.Zip(((YamlSequenceNode)mNode).Children))
                    {
                        if (!kind.Measures.Contains(m)) Problem(item, $"{where}.measures: " + SettingValues.NotOneOf(m, kind.Measures));
                        else if (measures.Contains(m)) Problem(item, $"{where}.measures: '{m}' is listed twice");
                        else measures.Add(m);
                    }
                }
            }
            else measures.Add(ShareSourceKind.Count);
            var groupBy = qis.Where(kind.QuasiIdentifiers.Contains).ToList();
            if (kind.FreeTextQuasiIdentifier is { } free && groupBy.Contains(free) && values is null)
                Problem(map.Children.Count > 0 ? map : (YamlNode)qiMarks[free], $"{where}: grouping by '{free}' needs '{kind.FilterKey}', the list of {kind.FilterKey} that may leave ({free} names are free text)");
            return new ShareSection(kind.Name, values, measures, groupBy);
        }
    }
}
