namespace MiniMe.Tools;

/// <summary>The tools by name.</summary>
public sealed class ToolRegistry
{
    private readonly Dictionary<string, ITool> _tools;

    public ToolRegistry(IEnumerable<ITool> tools)
    {
        ArgumentNullException.ThrowIfNull(tools);
        _tools = new Dictionary<string, ITool>(StringComparer.Ordinal);
        foreach (var tool in tools)
            if (!_tools.TryAdd(tool.Descriptor.Name, tool))
                throw new ArgumentException($"Two tools are named {tool.Descriptor.Name}.", nameof(tools));
    }

    public IReadOnlyList<ToolDescriptor> Descriptors => [.. _tools.Values.Select(t => t.Descriptor).OrderBy(d => d.Name, StringComparer.Ordinal)];

    public ITool? Find(string name) => _tools.GetValueOrDefault(name);

    public ITool Get(string name) => Find(name)
        ?? throw new NotFoundException($"There is no tool '{name}'; `minime tool list` shows them ({string.Join(", ", _tools.Keys.Order(StringComparer.Ordinal))}).");
}
