using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using MiniMe.Memory;
using MiniMe.Memory.Lexical;
using MiniMe.Memory.Retrieval;
using MiniMe.Server.Auth;
using MiniMe.Server.Metrics;
using MiniMe.Hosting.Users;

namespace MiniMe.Server.Endpoints;

public sealed record SearchResponse(string Query, string Mode, double ElapsedMs, IReadOnlyList<SearchHit> Hits);

public sealed record MemoryDocument(string Source, string ContentHash);

public sealed record MemoryOverview(MemoryStats Stats, int DocumentCount, IReadOnlyList<MemoryDocument> Documents);

public sealed record DocumentTotals(int Documents, long Chunks, long SizeBytes);

public sealed record DocumentList(IReadOnlyList<DocumentSummary> Documents, DocumentTotals Total);

public sealed record DocumentsRemoved(IReadOnlyList<string> Removed, int Documents, int Chunks);

internal static class MemoryEndpoints
{
    private const int MaxK = 100;
    private const int MaxListedDocuments = 1000;

    public static void Map(RouteGroupBuilder v1, ServerOptions options)
    {
        var memory = v1.MapGroup("/memory").WithTags("Memory");
        memory.MapGet("/search", async (string? q, int? k, string? domain, ClaimsPrincipal user, UserSpaces spaces, ServerMetrics metrics, CancellationToken cancellationToken) =>
            {
                if (string.IsNullOrWhiteSpace(q)) throw new InvalidInputException("The query is empty; pass ?q=words to search for.");
                if (FtsQueryBuilder.Build(q) is null) throw new InvalidInputException($"The query '{q}' has no searchable words.");
                var count = k ?? 10;
                if (count is < 1 or > MaxK) throw new InvalidInputException($"k must be between 1 and {MaxK} (got {count}).");
                var retriever = await spaces.Get(user.UserId()).RetrieverAsync(cancellationToken).ConfigureAwait(false);
                var filter = domain is { Length: > 0 } ? new SearchFilter(Domain: domain) : SearchFilter.None;
                var result = await retriever.RetrieveAsync(new RetrievalRequest(q, count, filter, RetrievalBoosts.None), cancellationToken).ConfigureAwait(false);
                metrics.Retrieval(result.ElapsedMs / 1000, "search");
                return TypedResults.Ok(new SearchResponse(q, result.Mode, Math.Round(result.ElapsedMs, 3), result.Hits));
            })
            .WithSummary("Search your memory (BM25, plus embeddings when configured)").ProducesProblem(400);

        memory.MapGet("/", async (ClaimsPrincipal user, UserSpaces spaces, CancellationToken cancellationToken) =>
            {
                var store = await spaces.Get(user.UserId()).StoreAsync(cancellationToken).ConfigureAwait(false);
                var stats = await store.GetStatsAsync(cancellationToken).ConfigureAwait(false);
                var hashes = await store.GetDocumentHashesAsync(cancellationToken).ConfigureAwait(false);
                var documents = hashes.OrderBy(h => h.Key, StringComparer.Ordinal).Take(MaxListedDocuments)
                    .Select(h => new MemoryDocument(h.Key, h.Value)).ToList();
                return TypedResults.Ok(new MemoryOverview(stats, hashes.Count, documents));
            })
            .WithSummary("Your memory: counts by domain and the imported documents");

        memory.MapPost("/import", async (ImportBody body, ClaimsPrincipal user, UserSpaces spaces, Indexing.VectorFillService vectors, CancellationToken cancellationToken) =>
            {
                var space = spaces.Get(user.UserId());
                var response = await UploadImport.RunAsync(space, body, cancellationToken).ConfigureAwait(false);
                if (response.VectorsPending > 0) vectors.Request(space.UserId);
                return response;
            })
            .WithBodyLimit(options.MaxImportBytes)
            .WithSummary("Import documents (name + content) into your memory; re-importing unchanged content is a no-op")
            .ProducesProblem(400).ProducesProblem(413);

        var documents = v1.MapGroup("/documents").WithTags("Memory");
        documents.MapGet("/", async (string? source, ClaimsPrincipal user, UserSpaces spaces, CancellationToken cancellationToken) =>
            {
                var store = await spaces.Get(user.UserId()).StoreAsync(cancellationToken).ConfigureAwait(false);
                var list = await store.ListDocumentsAtAsync(source is { Length: > 0 } ? source : null, cancellationToken).ConfigureAwait(false);
                return TypedResults.Ok(new DocumentList(list, new DocumentTotals(list.Count, list.Sum(d => (long)d.Chunks), list.Sum(d => d.SizeBytes))));
            })
            .WithSummary("Your stored documents (source, chunks, size, domain, tags, imported at) with totals; ?source= limits to a file or a folder");
        documents.MapDelete("/", async (string? source, ClaimsPrincipal user, UserSpaces spaces, CancellationToken cancellationToken) =>
            {
                if (string.IsNullOrWhiteSpace(source)) throw new InvalidInputException("Pass ?source= with a document's source, or a folder to remove every document under it.");
                var store = await spaces.Get(user.UserId()).StoreAsync(cancellationToken).ConfigureAwait(false);
                var found = await store.ListDocumentsAtAsync(source, cancellationToken).ConfigureAwait(false);
                if (found.Count == 0) throw new NotFoundException($"Nothing in memory at {source}; GET /v1/documents lists yours.");
                var sources = found.Select(d => d.Source).ToList();
                var chunks = await store.DeleteDocumentsAsync(sources, cancellationToken).ConfigureAwait(false);
                return TypedResults.Ok(new DocumentsRemoved(sources, sources.Count, chunks));
            })
            .WithSummary("Remove a document (or every one under a folder) from your memory; files are never touched").ProducesProblem(400).ProducesProblem(404);

        FactEndpoints.Map(memory);
        ProfileEndpoints.Map(v1);
    }
}
