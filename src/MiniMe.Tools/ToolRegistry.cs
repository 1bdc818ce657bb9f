namespace MiniMe.Tools;

/// <summary>The tools by name: the built-in ones, and those <paramref name="resolve"/> finds by name when asked (external tools, listed on first need).</summary>
public sealed class ToolRegistry
{
    private readonly Dictionary<string, ITool> _tools;
    private readonly Func<string, CancellationToken, Task<ITool?>>? _resolve;

    public ToolRegistry(IEnumerable<ITool> tools, Func<string, CancellationToken, Task<ITool?>>? resolve = null)
    {
        ArgumentNullException.ThrowIfNull(tools);
        _resolve = resolve;
        _tools = new Dictionary<string, ITool>(StringComparer.Ordinal);
        foreach (var tool in tools)
            if (!_tools.TryAdd(tool.Descriptor.Name, tool))
                throw new ArgumentException($"Two tools are named {tool.Descriptor.Name}.", nameof(tools));
    }

    public IReadOnlyList<ToolDescriptor> Descriptors => [.. _tools.Values.Select(t => t.Descriptor).OrderBy(d => d.Name, StringComparer.Ordinal)];

    public ITool? Find(string name) => _tools.GetValueOrDefault(name);

    /// <summary>A built-in tool, else an external one by its name (which may reach the server that offers it); null when neither knows it.</summary>
    public async Task<ITool?> FindAsync(string name, CancellationToken cancellationToken) =>
        Find(name) ?? (_resolve is null ? null : await _resolve(name, cancellationToken).ConfigureAwait(false));

    public ITool Get(string name) => Find(name)
        ?? throw new NotFoundException($"There is no tool '{name}'; `minime tool list` shows them ({string.Join(", ", _tools.Keys.Order(StringComparer.Ordinal))}).");
}
