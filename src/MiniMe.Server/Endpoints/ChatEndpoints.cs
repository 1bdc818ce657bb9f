using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using MiniMe.Server.Auth;
using MiniMe.Server.Chat;
using MiniMe.Server.Conversations;

namespace MiniMe.Server.Endpoints;

internal static class ChatEndpoints
{
    public static void Map(RouteGroupBuilder v1)
    {
        var chat = v1.MapGroup("/chat").WithTags("Chat");
        chat.MapPost("/", async (ChatRequest request, ClaimsPrincipal user, ChatService service, CancellationToken cancellationToken) =>
            {
                var turn = await service.StartAsync(user.UserId(), request, cancellationToken).ConfigureAwait(false);
                return TypedResults.Ok(await turn.CompleteAsync(cancellationToken).ConfigureAwait(false));
            })
            .WithSummary("Send a message and get the whole answer")
            .ProducesProblem(400).ProducesProblem(404).ProducesProblem(502).ProducesProblem(503);

        // Problems found before the first token (bad input, unknown conversation, no model) are plain
        // problem-details responses; after that, failures arrive as an "error" event.
        chat.MapPost("/stream", async (ChatRequest request, ClaimsPrincipal user, ChatService service, CancellationToken cancellationToken) =>
            {
                var turn = await service.StartAsync(user.UserId(), request, cancellationToken).ConfigureAwait(false);
                return TypedResults.ServerSentEvents(turn.StreamAsync(cancellationToken));
            })
            .WithSummary("Send a message and stream the answer as server-sent events (data: JSON per token; a final done event with usage)")
            .ProducesProblem(400).ProducesProblem(404).ProducesProblem(503);

        var conversations = v1.MapGroup("/conversations").WithTags("Conversations");
        conversations.MapGet("/", (ClaimsPrincipal user, ConversationStore store, int? limit) =>
                TypedResults.Ok(store.List(user.UserId(), Limits.Clamp(limit, 50, 500))))
            .WithSummary("Your conversations, most recent first");
        conversations.MapGet("/{id}", (string id, ClaimsPrincipal user, ConversationStore store) =>
            {
                var conversation = store.Require(user.UserId(), id);
                var (summary, through) = store.Summary(user.UserId(), id);
                return TypedResults.Ok(new ConversationDetail(conversation, store.Messages(user.UserId(), id), summary, through));
            })
            .WithSummary("A conversation with its messages, its rolling summary and the last message id the summary covers").ProducesProblem(404);
        conversations.MapPatch("/{id}", (string id, ConversationUpdate update, ClaimsPrincipal user, ConversationStore store) =>
                TypedResults.Ok(store.Rename(user.UserId(), id, update.Title)))
            .WithSummary("Rename a conversation: {\"title\": \"...\"} (1 to 80 characters)").ProducesProblem(400).ProducesProblem(404);
        conversations.MapDelete("/{id}", (string id, ClaimsPrincipal user, ConversationStore store) =>
                store.Delete(user.UserId(), id)
                    ? Results.NoContent()
                    : throw new NotFoundException($"No conversation '{id}'; GET /v1/conversations lists yours."))
            .WithSummary("Delete a conversation and its messages").ProducesProblem(404);
    }
}

internal static class Limits
{
    public static int Clamp(int? value, int fallback, int max)
    {
        if (value is < 1) throw new InvalidInputException($"limit must be at least 1 (got {value}).");
        return Math.Min(value ?? fallback, max);
    }
}
