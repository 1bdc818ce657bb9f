using MiniMe.Configuration;

namespace MiniMe.ModelCalls;

/// <summary>
/// USD per million tokens by model (llm.prices), the one table every model call is priced with, on
/// the CLI and in the server. Lookup is exact, then by the longest prefix ("gpt-4o-mini-2024-07-18"
/// prices as "gpt-4o-mini"); an unlisted model has no price.
/// </summary>
public sealed class PriceTable(IEnumerable<ModelPrice> prices)
{
    private readonly ModelPrice[] _prices = [.. prices.Where(p => !string.IsNullOrWhiteSpace(p.Model)).OrderByDescending(p => p.Model.Length)];

    public static PriceTable Empty { get; } = new([]);

    /// <summary>The table of llm.prices.</summary>
    public static PriceTable From(LlmOptions llm)
    {
        ArgumentNullException.ThrowIfNull(llm);
        return new PriceTable(llm.Prices);
    }

    /// <summary>The cost in USD, or null when the model is not in the table.</summary>
    public decimal? Cost(string? model, long inputTokens, long outputTokens)
    {
        if (model is null) return null;
        var price = _prices.FirstOrDefault(p => string.Equals(p.Model, model, StringComparison.OrdinalIgnoreCase))
            ?? _prices.FirstOrDefault(p => model.StartsWith(p.Model, StringComparison.OrdinalIgnoreCase));
        if (price is null) return null;
        return ((inputTokens * price.InputPerMillion) + (outputTokens * price.OutputPerMillion)) / 1_000_000m;
    }
}
