using Microsoft.Extensions.Configuration;
using MiniMe.Configuration;

namespace MiniMe.Server.Chat;

/// <summary>One row of llm.prices: USD per million tokens for a model (or a model id prefix).</summary>
public sealed class ChatModelPrice
{
    public string Model { get; set; } = "";
    public decimal InputPerMillion { get; set; }
    public decimal OutputPerMillion { get; set; }
}

/// <summary>
/// The cost of a chat call from llm.prices (the same table the agent team prices its calls with).
/// Exact model match first, then the longest prefix; an unlisted model has no price (cost 0, marked unpriced).
/// </summary>
public sealed class ChatPriceTable(IEnumerable<ChatModelPrice> prices)
{
    private readonly ChatModelPrice[] _prices = [.. prices.Where(p => !string.IsNullOrWhiteSpace(p.Model)).OrderByDescending(p => p.Model.Length)];

    public static ChatPriceTable Load(Workspace workspace)
    {
        var prices = new List<ChatModelPrice>();
        try
        {
            ConfigurationLoader.Build(workspace).GetSection("llm:prices").Bind(prices);
        }
        catch (InvalidOperationException e)
        {
            throw new ConfigException($"{workspace.ConfigPath}: llm.prices: {e.Message}", e);
        }
        return new ChatPriceTable(prices);
    }

    public decimal? Cost(string? model, long inputTokens, long outputTokens)
    {
        if (model is null) return null;
        var price = _prices.FirstOrDefault(p => string.Equals(p.Model, model, StringComparison.OrdinalIgnoreCase))
            ?? _prices.FirstOrDefault(p => model.StartsWith(p.Model, StringComparison.OrdinalIgnoreCase));
        return price is null ? null : (inputTokens * price.InputPerMillion + outputTokens * price.OutputPerMillion) / 1_000_000m;
    }
}
