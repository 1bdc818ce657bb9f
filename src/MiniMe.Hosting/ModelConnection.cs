using Microsoft.Extensions.AI;
using MiniMe.Configuration;
using MiniMe.Providers;

namespace MiniMe.Hosting;

/// <summary>
/// The provider llm.* names (openai, ollama or anthropic), connected on first use: the innermost
/// client of the model pipeline. A ConfigException names what is missing.
/// </summary>
public sealed class ModelConnection(MiniMeOptions options) : IDisposable
{
    private readonly Lazy<ProviderConnection> _connection = new(() => ChatClientFactory.Create(options.Llm));

    public ProviderConnection Provider => _connection.Value;

    public IChatClient Chat => Provider.Chat;

    public void Dispose()
    {
        if (_connection.IsValueCreated) _connection.Value.Dispose();
    }
}
