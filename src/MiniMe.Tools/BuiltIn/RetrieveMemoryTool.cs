using System.Text.Json.Nodes;
using MiniMe.Memory;
using MiniMe.Memory.Retrieval;

namespace MiniMe.Tools.BuiltIn;

/// <summary>retrieve_memory: searches the user's memory (BM25, plus embeddings when configured) through the hybrid retriever.</summary>
public sealed class RetrieveMemoryTool(ToolContext context) : ITool
{
    public ToolDescriptor Descriptor { get; } = new(
        "retrieve_memory",
        "Search the user's memory (imported notes and code) for relevant chunks.",
        ToolCategory.Memory,
        NeedsApproval: false,
        new ToolSchema(
            new ToolParameter("query", ParameterType.String, "What to look for", Required: true),
            new ToolParameter("k", ParameterType.Integer, "How many chunks (default 8)", Minimum: 1, Maximum: 100),
            new ToolParameter("domain", ParameterType.String, "Only chunks of this domain"),
            new ToolParameter("tags", ParameterType.StringArray, "Only chunks with all of these tags")));

    public Task<PreparedAction> PrepareAsync(ToolArguments arguments, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var query = arguments.RequiredString("query");
        if (string.IsNullOrWhiteSpace(query)) throw new ToolArgumentException("retrieve_memory: the query is empty.");
        var k = arguments.Integer("k") ?? 8;
        var filter = new SearchFilter(arguments.String("domain")?.Trim().ToLowerInvariant(), arguments.Strings("tags")?.Select(t => t.ToLowerInvariant()).ToList());
        var preview = new ActionPreview(PreviewKind.Read, $"search memory for '{query}'");
        return Task.FromResult(new PreparedAction(preview, async ct =>
        {
            var retriever = await context.RetrieverAsync(ct).ConfigureAwait(false);
            RetrievalResult result;
            try
            {
                result = await retriever.RetrieveAsync(new RetrievalRequest(query, k, filter, RetrievalBoosts.None), ct).ConfigureAwait(false);
            }
            catch (InvalidInputException e)
            {
                throw new ToolArgumentException($"retrieve_memory: {e.Message}");
            }
            var hits = new JsonArray([.. result.Hits.Select(h => (JsonNode?)new JsonObject
            {
                ["id"] = h.Id,
                ["source"] = h.Source,
                ["heading"] = h.Heading,
                ["score"] = Math.Round(h.Score, 6),
                ["domain"] = h.Domain,
                ["text"] = h.Text,
            })]);
            return new ToolExecution(true, $"{result.Hits.Count} chunks from memory ({result.Mode})", (JsonObject)MiniMe.Tracing.SecretRedactor.Redact(new JsonObject { ["hits"] = hits, ["mode"] = result.Mode })!);
        }));
    }
}
