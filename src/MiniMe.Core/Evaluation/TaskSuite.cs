using System.Globalization;
using System.Text.RegularExpressions;
using MiniMe.Configuration;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace MiniMe.Evaluation;

/// <summary>Memory a task imports into its isolated workspace before it runs: a file (relative to the task file) or inline text.</summary>
/// <param name="Name">The file name the text is imported under (inline text: "memory-N.md" unless the item names one).</param>
public sealed record TaskMemory(string? File, string? Text, string Name);

/// <summary>What a task's run must show: files and patterns in the proposals, patterns that must not appear, the critic's verdict, a token ceiling.</summary>
public sealed record TaskChecks(
    IReadOnlyList<string> Files,
    IReadOnlyList<Regex> Patterns,
    IReadOnlyList<Regex> Forbidden,
    bool CriticMustPass,
    long? MaxTokens)
{
    public int Count => Files.Count + Patterns.Count + Forbidden.Count + (CriticMustPass ? 1 : 0) + (MaxTokens is null ? 0 : 1);
}

/// <summary>One task of a suite: the text given to `minime ask`, its memory and its checks.</summary>
/// <param name="Id">The file name without its extension.</param>
public sealed record EvalTask(string Id, string Source, string Task, string? Domain, IReadOnlyList<TaskMemory> Memory, TaskChecks Checks);

/// <summary>A folder of task files (*.yaml, *.yml), in file-name order.</summary>
public sealed record TaskSuite(string Directory, IReadOnlyList<EvalTask> Tasks)
{
    public string Name => Path.GetFileName(Directory.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar));
}

/// <summary>Every problem of a suite, each "file:line:col: message".</summary>
public sealed class TaskSuiteException(IReadOnlyList<string> problems)
    : MiniMeException(ErrorCategory.InvalidInput, problems.Count == 1 ? problems[0] : $"{problems[0]} (and {problems.Count - 1} more problems)")
{
    public IReadOnlyList<string> Problems { get; } = problems;
}

/// <summary>
/// Reads task files (docs/evaluation.md): task, domain, memory (file or text items), checks (files, patterns,
/// forbidden, critic, maxTokens). Text goes through <see cref="SafeYamlLoader"/>; problems are collected with
/// their line and column, unknown fields get a suggestion.
/// </summary>
public static class TaskSuiteParser
{
    public static readonly string[] TopFields = ["task", "domain", "memory", "checks", "description"];
    public static readonly string[] MemoryFields = ["file", "text", "name"];
    public static readonly string[] CheckFields = ["files", "patterns", "forbidden", "critic", "maxTokens"];

    private static readonly TimeSpan RegexTimeout = TimeSpan.FromSeconds(2);

    public static TaskSuite LoadDirectory(string directory)
    {
        var full = Path.GetFullPath(directory);
        if (!System.IO.Directory.Exists(full))
            throw new InvalidInputException($"No suite folder '{directory}'; a suite is a folder of task files (*.yaml), see docs/evaluation.md.");
        var files = System.IO.Directory.EnumerateFiles(full)
            .Where(f => f.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".yml", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0) throw new InvalidInputException($"The suite folder '{directory}' has no task files (*.yaml); see docs/evaluation.md for the format.");
        var problems = new List<string>();
        var tasks = new List<EvalTask>();
        foreach (var file in files)
        {
            var (task, found) = Parse(SafeYamlLoader.ReadFile(file), file);
            problems.AddRange(found);
            if (task is not null && found.Count == 0) tasks.Add(task);
        }
        foreach (var twin in tasks.GroupBy(t => t.Id, StringComparer.Ordinal).Where(g => g.Count() > 1))
            problems.Add($"{twin.Last().Source}:1:1: task id '{twin.Key}' is also {twin.First().Source}; give each task file its own name");
        if (problems.Count > 0) throw new TaskSuiteException(problems);
        return new TaskSuite(full, tasks);
    }

    /// <summary>The task (null when the text is not a mapping) and the problems found.</summary>
    public static (EvalTask? Task, List<string> Problems) Parse(string yaml, string source)
    {
        var problems = new List<string>();
        var stream = new YamlStream();
        try
        {
            SafeYamlLoader.Load(stream, yaml, source);
        }
        catch (YamlException e)
        {
            var message = e.InnerException?.Message ?? e.Message;
            var end = message.IndexOfAny(['\r', '\n']);
            problems.Add($"{source}:{e.Start.Line}:{e.Start.Column}: {(end < 0 ? message : message[..end]).Trim()}");
            return (null, problems);
        }
        catch (ConfigException e)
        {
            problems.Add(e.Message);
            return (null, problems);
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            problems.Add($"{source}:1:1: a task file is a YAML mapping with task and checks");
            return (null, problems);
        }
        var reader = new Reader(source, problems);
        return (reader.Task(root), problems);
    }

    private sealed class Reader(string source, List<string> problems) : YamlMappingReader(source, problems)
    {
        private List<string> Strings(YamlMappingNode map, string key, string where)
        {
            var list = new List<string>();
            if (Get(map, key) is not { } node) return list;
            if (node is not YamlSequenceNode items)
            {
                Problem(node, $"{where}: '{key}' must be a list of strings");
                return list;
            }
            foreach (var item in items)
            {
                if (item is YamlScalarNode { Value: { Length: > 0 } v }) list.Add(v);
                else Problem(item, $"{where}: every item of '{key}' must be a non-empty string");
            }
            return list;
        }

        private List<Regex> Patterns(YamlMappingNode map, string key)
        {
            var list = new List<Regex>();
            if (Get(map, key) is not YamlSequenceNode items)
            {
                Strings(map, key, "checks");
                return list;
            }
            foreach (var item in items)
            {
                if (item is not YamlScalarNode { Value: { Length: > 0 } v })
                {
                    Problem(item, $"checks: every item of '{key}' must be a non-empty string (a regular expression)");
                    continue;
                }
                try
                {
                    list.Add(new Regex(v, RegexOptions.CultureInvariant | RegexOptions.Multiline, RegexTimeout));
                }
                catch (ArgumentException e)
                {
                    Problem(item, $"checks: '{v}' in '{key}' is not a valid regular expression: {e.Message}");
                }
            }
            return list;
        }

        public EvalTask Task(YamlMappingNode root)
        {
            UnknownFields(root, "the task file", TopFields);
            var text = Text(root, "task", "the task file", required: true) ?? "";
            var domain = Text(root, "domain", "the task file");
            var memory = Memory(Get(root, "memory"));
            var checks = Checks(root);
            return new EvalTask(Path.GetFileNameWithoutExtension(Source), Source, text.Trim(), string.IsNullOrWhiteSpace(domain) ? null : domain.Trim(), memory, checks);
        }

        private List<TaskMemory> Memory(YamlNode? node)
        {
            var list = new List<TaskMemory>();
            if (node is null) return list;
            if (node is not YamlSequenceNode items)
            {
                Problem(node, "memory must be a list of {file: PATH} or {text: TEXT, name: NAME}");
                return list;
            }
            foreach (var item in items)
            {
                if (item is not YamlMappingNode map)
                {
                    Problem(item, "a memory item is a mapping with file or text");
                    continue;
                }
                UnknownFields(map, "a memory item", MemoryFields);
                var file = Text(map, "file", "a memory item");
                var body = Text(map, "text", "a memory item");
                var name = Text(map, "name", "a memory item");
                if ((file is null) == (body is null))
                {
                    Problem(map, "a memory item has either 'file' or 'text', not both or neither");
                    continue;
                }
                if (file is not null)
                {
                    var path = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(Source))!, file));
                    if (!File.Exists(path)) Problem(Get(map, "file")!, $"memory file '{file}' does not exist (paths are relative to the task file)");
                    list.Add(new TaskMemory(path, null, name ?? Path.GetFileName(path)));
                }
                else
                {
                    if (name is not null && (name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || name.Trim().Length == 0))
                        Problem(Get(map, "name")!, $"memory name '{name}' must be a plain file name such as notes.md");
                    list.Add(new TaskMemory(null, body, name ?? $"memory-{list.Count + 1}.md"));
                }
            }
            return list;
        }

        private TaskChecks Checks(YamlMappingNode root)
        {
            var node = Get(root, "checks");
            if (node is not YamlMappingNode map)
            {
                Problem(node ?? root, node is null ? "the task file needs 'checks' (files, patterns, forbidden, critic, maxTokens)" : "checks must be a mapping (files, patterns, forbidden, critic, maxTokens)");
                return new TaskChecks([], [], [], false, null);
            }
            UnknownFields(map, "checks", CheckFields);
            var files = Strings(map, "files", "checks");
            var patterns = Patterns(map, "patterns");
            var forbidden = Patterns(map, "forbidden");
            var critic = false;
            if (Get(map, "critic") is { } c)
            {
                if (c is YamlScalarNode { Value: "pass" or "true" }) critic = true;
                else if (c is not YamlScalarNode { Value: "any" or "false" }) Problem(c, "checks: 'critic' must be pass (the critic must accept the build) or any");
            }
            long? maxTokens = null;
            if (Get(map, "maxTokens") is { } m)
            {
                if (m is YamlScalarNode { Value: { } v } && long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= 1) maxTokens = n;
                else Problem(m, "checks: 'maxTokens' must be a whole number of at least 1");
            }
            var checks = new TaskChecks(files, patterns, forbidden, critic, maxTokens);
            if (checks.Count == 0) Problem(map, "checks has no check: give files, patterns, forbidden, critic or maxTokens");
            return checks;
        }
    }
}
