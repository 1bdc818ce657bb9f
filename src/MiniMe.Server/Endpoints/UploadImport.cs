using System.Text.RegularExpressions;
using MiniMe.Memory.Import;
using MiniMe.Hosting.Users;

namespace MiniMe.Server.Endpoints;

public sealed record ImportDocument(string? Name, string? Content);

/// <summary>POST /v1/memory/import: documents sent in the request (never a path on the server).</summary>
public sealed record ImportBody(IReadOnlyList<ImportDocument>? Documents, string? Domain = null, IReadOnlyList<string>? Tags = null);

public sealed record ImportedDocument(string Name, string Source);

public sealed record ImportResponse(
    int FilesImported,
    int FilesUnchanged,
    int ChunksAdded,
    int ChunksRemoved,
    int SkippedBinary,
    int SkippedTooLarge,
    int SkippedSecret,
    long VectorsPending,
    double ElapsedMs,
    IReadOnlyList<ImportedDocument> Documents);

/// <summary>
/// Saves each uploaded document under the user's uploads/ folder (a file name only: no folders, no
/// "..") and imports it with the same importer as `minime import`: paragraph chunks, domain guess,
/// secrets masked, idempotent by content hash; a key or credential file name (".env", "id_rsa",
/// "*.pem") is counted as SkippedSecret and not imported.
/// </summary>
internal static partial class UploadImport
{
    public const int MaxDocuments = 100;

    public static async Task<ImportResponse> RunAsync(UserSpace user, ImportBody body, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        var documents = body.Documents ?? [];
        if (documents.Count == 0) throw new InvalidInputException("No documents; send {\"documents\": [{\"name\": \"notes.md\", \"content\": \"...\"}]}.");
        if (documents.Count > MaxDocuments) throw new InvalidInputException($"At most {MaxDocuments} documents per import (got {documents.Count}).");
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var document in documents)
        {
            if (document.Name is null || !FileName().IsMatch(document.Name) || document.Name.Contains("..", StringComparison.Ordinal))
                throw new InvalidInputException($"Document name '{document.Name}' is not a plain file name (letters, digits, '.', '_', '-', spaces; no folders), e.g. notes.md.");
            if (document.Content is null) throw new InvalidInputException($"Document '{document.Name}' has no content.");
            if (!names.Add(document.Name)) throw new InvalidInputException($"Document name '{document.Name}' appears twice.");
        }

        Directory.CreateDirectory(user.UploadsDirectory);
        var importer = await user.ImporterAsync(cancellationToken).ConfigureAwait(false);
        var total = new ImportReport();
        var imported = new List<ImportedDocument>();
        var secret = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        foreach (var document in documents)
        {
            var path = Path.Combine(user.UploadsDirectory, document.Name!);
            var temporary = path + ".upload";
            await File.WriteAllTextAsync(temporary, document.Content, cancellationToken).ConfigureAwait(false);
            File.Move(temporary, path, overwrite: true);
            var report = await importer.ImportAsync(new ImportRequest(path, body.Domain, body.Tags), progress: null, cancellationToken).ConfigureAwait(false);
            total.FilesImported += report.FilesImported;
            total.FilesUnchanged += report.FilesUnchanged;
            total.ChunksAdded += report.ChunksAdded;
            total.ChunksRemoved += report.ChunksRemoved;
            total.SkippedBinary += report.SkippedBinary;
            total.SkippedTooLarge += report.SkippedTooLarge;
            secret += report.Walk.SecretFiles.Count;
            imported.Add(new ImportedDocument(document.Name!, path));
        }
        // Vectors are filled in the background (VectorFillService): the text is searchable now, dense results join as they land.
        var fill = await user.VectorBackfillAsync(cancellationToken).ConfigureAwait(false);
        var pending = fill is null ? 0 : await fill.PendingAsync(cancellationToken).ConfigureAwait(false);
        return new ImportResponse(total.FilesImported, total.FilesUnchanged, total.ChunksAdded, total.ChunksRemoved, total.SkippedBinary,
            total.SkippedTooLarge, secret, pending, Math.Round(clock.Elapsed.TotalMilliseconds, 2), imported);
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._ -]{0,127}$")]
    private static partial Regex FileName();
}
