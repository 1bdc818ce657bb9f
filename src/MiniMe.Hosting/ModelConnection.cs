using System.Collections.Concurrent;
using Microsoft.Extensions.AI;
using MiniMe.Configuration;
using MiniMe.Providers;

namespace MiniMe.Hosting;

/// <summary>
/// The providers of the named models (llm.provider/model as <c>default</c>, and llm.models), each
/// connected on first use: the innermost clients of the model pipelines. A ConfigException names what
/// is missing.
/// </summary>
public sealed class ModelConnection(MiniMeOptions options) : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<ProviderConnection>> _connections = new(StringComparer.Ordinal);

    /// <summary>The default model's provider.</summary>
    public ProviderConnection Provider => For(NamedModels.DefaultOf(options.Llm)
        ?? throw new ConfigException("No LLM provider is configured (llm.provider: none). Set llm.provider in config.yaml or MINIME_LLM__PROVIDER to openai, ollama or anthropic.", category: ErrorCategory.ModelNotConfigured));

    public IChatClient Chat => Provider.Chat;

    /// <summary>The provider of the named model <paramref name="name"/>.</summary>
    public ProviderConnection For(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _connections.GetOrAdd(name, n => new Lazy<ProviderConnection>(() =>
        {
            var model = NamedModels.Of(options.Llm).FirstOrDefault(m => m.Name == n)
                ?? throw new ConfigException($"unknown model '{n}'", category: ErrorCategory.InvalidSettings);
            return ChatClientFactory.Create(model.Options);
        })).Value;
    }

    public void Dispose()
    {
        foreach (var connection in _connections.Values)
            if (connection.IsValueCreated) connection.Value.Dispose();
    }
}
