using MiniMe.Security;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using MiniMe.Configuration;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace MiniMe.Tools.Allowlist;

/// <summary>
/// Reads allowlist.yaml. Anything malformed (bad YAML, an unknown key, a wrong type, a bad glob) is a
/// <see cref="ConfigException"/> naming the file, line and column: a typo must never silently widen
/// or narrow what tools may do. The result carries the SHA-256 of the text it was parsed from, so
/// workspace trust compares exactly what the tools were built from.
/// </summary>
public static partial class AllowlistLoader
{
    public static ToolAllowlist Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) return ToolAllowlist.Missing(path);
        string text;
        try
        {
            text = SafeYamlLoader.ReadFile(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"Cannot read {path}: {e.Message}", e);
        }
        return Parse(text, path);
    }

    /// <summary>Parses allowlist text; the result's ContentSha256 is the SHA-256 of that text as UTF-8, exactly what was parsed.</summary>
    public static ToolAllowlist Parse(string yaml, string source)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        return Parse(yaml, source, Sha256(Encoding.UTF8.GetBytes(yaml)));
    }

    /// <summary>Lower-case hex SHA-256, the form trust fingerprints use.</summary>
    internal static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static ToolAllowlist Parse(string yaml, string source, string contentSha256)
    {
        var stream = new YamlStream();
        try
        {
            SafeYamlLoader.Load(stream, yaml, source);
        }
        catch (YamlException e)
        {
            throw new ConfigException($"{source}:{e.Start.Line}:{e.Start.Column}: invalid YAML: {Describe(e)}", e);
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
            return new ToolAllowlist(source, DefaultRead(), PathRules.None, [], [], contentSha256);
        var reader = new Reader(source);
        var root = reader.Mapping(stream.Documents[0].RootNode, "the top level");
        PathRules? read = null, write = null;
        List<CommandRule> commands = [];
        List<string> environment = [];
        foreach (var (key, value) in root.Children)
        {
            switch (reader.Key(key))
            {
                case "read": read = reader.PathRules(value, "read"); break;
                case "write": write = reader.PathRules(value, "write"); break;
                case "commands": commands = reader.Commands(value); break;
                case "environment": environment = reader.EnvironmentNames(value); break;
                default: throw reader.Error(key, $"unknown key '{reader.Key(key)}'; expected read, write, commands or environment");
            }
        }
        return new ToolAllowlist(source, read ?? DefaultRead(), write ?? PathRules.None, commands, environment, contentSha256);
    }

    private static PathRules DefaultRead() => new([new Glob("**")], []);

    private static string Describe(YamlException e)
    {
        var message = e.InnerException?.Message ?? e.Message;
        var cut = message.LastIndexOf("): ", StringComparison.Ordinal);
        return cut >= 0 ? message[(cut + 3)..] : message;
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex EnvironmentName();

    private sealed class Reader(string source)
    {
        public ConfigException Error(YamlNode node, string message) =>
            new($"{source}:{node.Start.Line}:{node.Start.Column}: {message}");

        public string Key(YamlNode node) => node is YamlScalarNode { Value: { } v } ? v : throw Error(node, "expected a plain key");

        public YamlMappingNode Mapping(YamlNode node, string what) =>
            node as YamlMappingNode ?? throw Error(node, $"expected a mapping for {what}");

        public string Scalar(YamlNode node, string what) =>
            node is YamlScalarNode { Value: { } v } ? v : throw Error(node, $"expected a single value for {what}");

        public List<(YamlNode Node, string Value)> Strings(YamlNode node, string what)
        {
            if (node is YamlScalarNode { Value: null or "" } && node is YamlScalarNode { Style: ScalarStyle.Plain }) return [];
            if (node is YamlScalarNode s) return [(s, s.Value ?? "")];
            if (node is not YamlSequenceNode seq) throw Error(node, $"expected a list of strings for {what}");
            return seq.Children.Select(c => (c, Scalar(c, what))).ToList();
        }

        public PathRules PathRules(YamlNode node, string section)
        {
            if (node is YamlScalarNode { Value: null or "" }) return Allowlist.PathRules.None;
            var map = Mapping(node, section);
            List<Glob> include = [], exclude = [], code = [];
            foreach (var (key, value) in map.Children)
            {
                var name = Key(key);
                var target = (name, section) switch
                {
                    ("include", _) => include,
                    ("exclude", _) => exclude,
                    ("code", "write") => code,
                    _ => throw Error(key, section == "write"
                        ? $"unknown key '{name}' in write; expected include, exclude or code"
                        : $"unknown key '{name}' in {section}; expected include or exclude"),
                };
                foreach (var (itemNode, pattern) in Strings(value, $"{section}.{name}"))
                    target.Add(MakeGlob(itemNode, pattern, ignoreCase: name != "include"));
            }
            return new PathRules(include, exclude, code);
        }

        private Glob MakeGlob(YamlNode node, string pattern, bool ignoreCase)
        {
            if (pattern.Length == 0) throw Error(node, "an empty glob matches nothing; remove it");
            if (pattern.StartsWith('/') || pattern.Split('/').Contains(".."))
                throw Error(node, $"'{pattern}' must be relative to the tools root, without '..'");
            try
            {
                return new Glob(pattern, ignoreCase);
            }
            catch (ArgumentException e)
            {
                throw Error(node, $"'{pattern}' is not a valid glob: {e.Message}");
            }
        }

        public List<CommandRule> Commands(YamlNode node)
        {
            if (node is YamlScalarNode { Value: null or "" }) return [];
            if (node is not YamlSequenceNode seq) throw Error(node, "expected a list of commands (- program: NAME, args: [...])");
            return seq.Children.Select(Command).ToList();
        }

        private CommandRule Command(YamlNode node)
        {
            var map = Mapping(node, "a command (program, args, options, deny, allowShellMetacharacters)");
            string? program = null;
            List<ArgumentPattern>? args = null;
            List<MiniMe.Tools.Commands.OptionSpec> options = [];
            List<ArgumentGlob> deny = [];
            var allowMeta = false;
            foreach (var (key, value) in map.Children)
            {
                switch (Key(key))
                {
                    case "program":
                        program = Scalar(value, "program").Trim();
                        if (program.Length == 0 || program.Any(char.IsWhiteSpace) || program.Any(char.IsControl))
                            throw Error(value, $"program '{program}' must be one name or path without spaces");
                        break;
                    case "args":
                        args = [];
                        foreach (var (itemNode, text) in Strings(value, "args"))
                        {
                            try { args.Add(ArgumentPattern.Parse(text)); }
                            catch (FormatException e) { throw Error(itemNode, e.Message); }
                        }
                        break;
                    case "deny":
                        deny = Strings(value, "deny").Select(d => new ArgumentGlob(d.Value)).ToList();
                        break;
                    case "options":
                        foreach (var (itemNode, text) in Strings(value, "options"))
                        {
                            try { options.Add(MiniMe.Tools.Commands.OptionSpec.Parse(text)); }
                            catch (FormatException e) { throw Error(itemNode, e.Message); }
                        }
                        break;
                    case "allowShellMetacharacters":
                        allowMeta = Scalar(value, "allowShellMetacharacters") switch
                        {
                            "true" or "True" or "yes" => true,
                            "false" or "False" or "no" => false,
                            var other => throw Error(value, $"allowShellMetacharacters must be true or false, not '{other}'"),
                        };
                        break;
                    default:
                        throw Error(key, $"unknown key '{Key(key)}' in a command; expected program, args, options, deny or allowShellMetacharacters");
                }
            }
            if (program is null) throw Error(node, "a command needs a program");
            if (args is null || args.Count == 0)
                throw Error(node, $"command '{program}' needs args: a list of argument patterns (\"\" for no arguments, \"...\" for any)");
            return new CommandRule(program, args, deny, allowMeta, (int)node.Start.Line, options);
        }

        public List<string> EnvironmentNames(YamlNode node)
        {
            var names = new List<string>();
            foreach (var (itemNode, name) in Strings(node, "environment"))
            {
                if (!EnvironmentName().IsMatch(name)) throw Error(itemNode, $"'{name}' is not an environment variable name");
                names.Add(name);
            }
            return names;
        }
    }
}
