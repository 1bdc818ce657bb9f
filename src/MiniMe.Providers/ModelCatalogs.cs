using Anthropic;
using OllamaSharp;
using OpenAI;

namespace MiniMe.Providers;

/// <summary>Lists the models a server offers (for `minime doctor`).</summary>
public interface IModelCatalog
{
    Task<IReadOnlyList<string>> ListAsync(CancellationToken cancellationToken);
}

internal sealed class OpenAiModelCatalog(OpenAIClient client) : IModelCatalog
{
    public async Task<IReadOnlyList<string>> ListAsync(CancellationToken cancellationToken)
    {
        var result = await client.GetOpenAIModelClient().GetModelsAsync(cancellationToken).ConfigureAwait(false);
        return [.. result.Value.Select(m => m.Id).Order(StringComparer.Ordinal)];
    }
}

internal sealed class OllamaModelCatalog(OllamaApiClient client) : IModelCatalog
{
    public async Task<IReadOnlyList<string>> ListAsync(CancellationToken cancellationToken)
    {
        var models = await client.ListLocalModelsAsync(cancellationToken).ConfigureAwait(false);
        return [.. models.Select(m => m.Name).Order(StringComparer.Ordinal)];
    }
}

internal sealed class AnthropicModelCatalog(AnthropicClient client) : IModelCatalog
{
    public async Task<IReadOnlyList<string>> ListAsync(CancellationToken cancellationToken)
    {
        var page = await client.Models.List(new Anthropic.Models.Models.ModelListParams(), cancellationToken).ConfigureAwait(false);
        return [.. page.Items.Select(m => m.ID).Order(StringComparer.Ordinal)];
    }
}
