using System.ComponentModel;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using MiniMe.Server.Endpoints;
using MiniMe.Server.Facts;
using MiniMe.Server.Indexing;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace MiniMe.Server.Mcp;

/// <summary>
/// The tools that change memory, registered only with mcp.allowWrites: true (off, a client does not
/// see them at all). Both go through what the API uses: the upload importer and the fact service.
/// </summary>
[McpServerToolType]
public sealed class WriteTools(McpCaller caller, IUserFacts facts, IServiceProvider services)
{
    private static readonly string[] TextExtensions = [".md", ".markdown", ".txt"];

    [McpServerTool(Name = "memory_import_text", Title = "Import a note into MiniMe's memory", Destructive = false, Idempotent = true, OpenWorld = false, UseStructuredContent = true)]
    [Description("Store a piece of text (a note, a decision, meeting minutes; Markdown welcome) in the user's MiniMe memory so memory_search finds it. " +
        "It is saved as a file under the user's uploads/ folder and imported like `minime import`: paragraph chunks, domain guessed unless given, secrets masked. " +
        "Importing the same title again replaces that note; unchanged text is a no-op.")]
    public Task<ImportResponse> ImportTextAsync(
        RequestContext<CallToolRequestParams> request,
        [Description("The text to remember as a document.")] string text,
        [Description("A short name for the note, used as its file name (e.g. \"deploy checklist\" becomes deploy-checklist.md); default: a name from the text's hash.")] string? title = null,
        [Description("The domain for the note (e.g. backend, security); default: guessed from the text.")] string? domain = null,
        [Description("Tags for the note, e.g. [\"notes\", \"design\"].")] string[]? tags = null,
        CancellationToken cancellationToken = default) =>
        McpCaller.Guard(async () =>
        {
            if (string.IsNullOrWhiteSpace(text)) throw new InvalidInputException("text is empty: give the note's text to import.");
            var space = caller.Space(request);
            var body = new ImportBody([new ImportDocument(FileName(title, text), text)], domain is { Length: > 0 } ? domain.Trim().ToLowerInvariant() : null, tags);
            var response = await UploadImport.RunAsync(space, body, cancellationToken).ConfigureAwait(false);
            if (response.VectorsPending > 0)
            {
                // `minime serve` fills vectors in the background; `minime mcp` (no such service) fills them now, as `minime import` does.
                if (services.GetService<VectorFillService>() is { } background) background.Request(space.UserId);
                else if (await space.VectorBackfillAsync(cancellationToken).ConfigureAwait(false) is { } fill)
                {
                    await fill.FillAsync(null, cancellationToken).ConfigureAwait(false);
                    response = response with { VectorsPending = await fill.PendingAsync(cancellationToken).ConfigureAwait(false) };
                }
            }
            return response;
        });

    [McpServerTool(Name = "remember", Title = "Remember a fact about the user", Destructive = false, OpenWorld = false, UseStructuredContent = true)]
    [Description("Remember a short statement about the user (e.g. \"prefers tabs over spaces\"), as `minime remember` does. The outcome says what happened: " +
        "added (a new fact), reinforced (already known; not stored twice), superseded (it replaces a contradicting fact, kept in history) " +
        "or queued (uncertain: waits for the user's review in `minime facts review`).")]
    public Task<FactWriteResult> RememberAsync(
        RequestContext<CallToolRequestParams> request,
        [Description("The statement to remember, about the user.")] string text,
        [Description("A category such as preference, tools, team; default: general.")] string? category = null,
        CancellationToken cancellationToken = default) =>
        McpCaller.Guard(() => facts.AddAsync(caller.Space(request), new FactInput(text, category is { Length: > 0 } ? category.Trim() : null), cancellationToken));

    /// <summary>A plain file name from the title (letters, digits, '.', '_', '-'), .md unless it names a text type; else one from the text's hash.</summary>
    internal static string FileName(string? title, string text)
    {
        var name = new StringBuilder();
        foreach (var c in (title ?? "").Trim())
            name.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '-');
        var cleaned = name.ToString().Trim('.', '-', '_');
        while (cleaned.Contains("--", StringComparison.Ordinal)) cleaned = cleaned.Replace("--", "-", StringComparison.Ordinal);
        if (cleaned.Length > 100) cleaned = cleaned[..100].TrimEnd('.', '-', '_');
        if (cleaned.Length == 0)
            cleaned = "note-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..12];
        return TextExtensions.Any(e => cleaned.EndsWith(e, StringComparison.OrdinalIgnoreCase)) ? cleaned : cleaned + ".md";
    }
}
