using Microsoft.ML.Tokenizers;

namespace MiniMe.Context;

/// <summary>Counts tokens with the o200k_base tiktoken encoding (GPT-4o family). The tokenizer is loaded once, lazily.</summary>
public sealed class TiktokenTokenCounter : ITokenCounter
{
    private const string Encoding = "o200k_base";

    private readonly Lazy<Tokenizer> _tokenizer =
        new(() => TiktokenTokenizer.CreateForEncoding(Encoding), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <inheritdoc />
    public string Name => Encoding;

    /// <inheritdoc />
    public int Count(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Length == 0 ? 0 : _tokenizer.Value.CountTokens(text);
    }
}
