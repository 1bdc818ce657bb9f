using MiniMe.Configuration;

namespace MiniMe.Workflows;

/// <summary>One workflow a user can run: builtin:NAME (shipped inside MiniMe) or a file of the workspace's workflows/ folder.</summary>
public sealed record WorkflowEntry(string Name, string Source, bool Builtin, string? Description, string? Problem);

/// <summary>
/// Where workflows come from: the builtin manifests (embedded resources, named builtin:NAME) and the
/// workspace's workflows/ folder (*.workflow.yaml, named by file). <see cref="Resolve"/> takes a name or a path.
/// With <paramref name="models"/> (the configured model names) a node's <c>model:</c> is checked at load too.
/// </summary>
public sealed class WorkflowCatalog(string? directory, IReadOnlyCollection<string>? models = null)
{
    public const string BuiltinPrefix = "builtin:";
    private const string ResourcePrefix = "MiniMe.Workflows.Builtin.";
    private const string Extension = ".workflow.yaml";

    public static IReadOnlyList<string> BuiltinNames { get; } = [.. typeof(WorkflowCatalog).Assembly.GetManifestResourceNames()
        .Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal) && n.EndsWith(Extension, StringComparison.Ordinal))
        .Select(n => n[ResourcePrefix.Length..^Extension.Length]).Order(StringComparer.Ordinal)];

    public static string BuiltinText(string name)
    {
        using var stream = typeof(WorkflowCatalog).Assembly.GetManifestResourceStream(ResourcePrefix + name + Extension)
            ?? throw new NotFoundException($"No builtin workflow '{name}'; builtin ones: {string.Join(", ", BuiltinNames.Select(n => BuiltinPrefix + n))}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public IReadOnlyList<WorkflowEntry> List()
    {
        var list = new List<WorkflowEntry>();
        foreach (var name in BuiltinNames)
            list.Add(Entry(BuiltinPrefix + name, BuiltinPrefix + name, true, () => BuiltinText(name)));
        if (directory is not null && Directory.Exists(directory))
            foreach (var path in Directory.EnumerateFiles(directory, "*" + Extension, SearchOption.AllDirectories).Order(StringComparer.Ordinal))
                list.Add(Entry(Path.GetRelativePath(directory, path)[..^Extension.Length].Replace('\\', '/'), path, false, () => SafeYamlLoader.ReadFile(path)));
        return list;
    }

    private WorkflowEntry Entry(string name, string source, bool builtin, Func<string> text)
    {
        try
        {
            var definition = WorkflowParser.Load(text(), source, models);
            return new WorkflowEntry(name, source, builtin, definition.Description, null);
        }
        catch (Exception e) when (e is MiniMeException or IOException or UnauthorizedAccessException)
        {
            var first = e.Message.Split('\n')[0];
            var count = e.Message.Split('\n').Length;
            return new WorkflowEntry(name, source, builtin, null, count > 1 ? $"{first} (and {count - 1} more)" : first);
        }
    }

    /// <summary>The manifest's text and source for builtin:NAME, NAME (workflows/NAME.workflow.yaml) or a file path.</summary>
    public (string Text, string Source) Resolve(string nameOrPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(nameOrPath);
        if (nameOrPath.StartsWith(BuiltinPrefix, StringComparison.Ordinal))
            return (BuiltinText(nameOrPath[BuiltinPrefix.Length..]), nameOrPath);
        if (File.Exists(nameOrPath)) return (SafeYamlLoader.ReadFile(nameOrPath), nameOrPath);
        if (directory is not null)
        {
            var named = Path.Combine(directory, nameOrPath + Extension);
            if (File.Exists(named)) return (SafeYamlLoader.ReadFile(named), named);
        }
        if (BuiltinNames.Contains(nameOrPath)) return (BuiltinText(nameOrPath), BuiltinPrefix + nameOrPath);
        var known = List().Select(e => e.Name).ToList();
        var suggestion = SettingKeys.Closest(nameOrPath, known);
        throw new NotFoundException($"No workflow '{nameOrPath}' (neither a file nor a name in {directory ?? "workflows/"})" +
            (suggestion is null ? $"; `minime workflow list` shows: {string.Join(", ", known)}" : $"; did you mean '{suggestion}'?"));
    }

    public WorkflowDefinition Load(string nameOrPath, out string text)
    {
        var (manifest, source) = Resolve(nameOrPath);
        text = manifest;
        return WorkflowParser.Load(manifest, source, models);
    }
}
