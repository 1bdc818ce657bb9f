using System.Globalization;
using System.Text.Json.Nodes;
using MiniMe.Memory.Facts;
using Spectre.Console;

namespace MiniMe.Cli.Rendering;

/// <summary>Facts, history and review items as JSON and as console text.</summary>
internal static class FactRenderer
{
    public static JsonObject ToJson(Fact f) => new()
    {
        ["id"] = f.Id,
        ["text"] = f.Text,
        ["category"] = f.Category,
        ["source"] = FactCodes.Code(f.Source),
        ["status"] = FactCodes.Code(f.Status),
        ["confidence"] = f.Confidence,
        ["importance"] = f.Importance,
        ["seen_count"] = f.SeenCount,
        ["created_at"] = Stamp(f.CreatedAt),
        ["updated_at"] = Stamp(f.UpdatedAt),
        ["last_seen_at"] = Stamp(f.LastSeenAt),
        ["superseded_at"] = f.SupersededAt is { } s ? Stamp(s) : null,
        ["superseded_by"] = f.SupersededBy,
        ["retracted_at"] = f.RetractedAt is { } r ? Stamp(r) : null,
        ["origin"] = f.Origin is { } o ? MiniMe.Memory.Facts.Capture.FactCapture.Origin(o) : null,
    };

    public static JsonObject ToJson(FactHistoryEntry e) => new()
    {
        ["id"] = e.Id,
        ["fact_id"] = e.FactId,
        ["change"] = FactCodes.Code(e.Change),
        ["at"] = Stamp(e.At),
        ["text"] = e.Text,
        ["related_fact_id"] = e.RelatedFactId,
        ["detail"] = e.Detail,
    };

    public static JsonObject ToJson(ReviewItem item) => new()
    {
        ["id"] = item.Review.Id,
        ["kind"] = FactCodes.Code(item.Review.Kind),
        ["status"] = FactCodes.Code(item.Review.Status),
        ["reason"] = item.Review.Reason,
        ["confidence"] = Math.Round(item.Review.Confidence, 4),
        ["created_at"] = Stamp(item.Review.CreatedAt),
        ["resolved_at"] = item.Review.ResolvedAt is { } r ? Stamp(r) : null,
        ["candidate"] = ToJson(item.Candidate),
        ["existing"] = item.Existing is { } e ? ToJson(e) : null,
    };

    public static JsonArray Array<T>(IEnumerable<T> items, Func<T, JsonObject> map) => new([.. items.Select(i => (JsonNode?)map(i))]);

    public static string Stamp(DateTimeOffset at) => at.ToString("O", CultureInfo.InvariantCulture);

    public static string Short(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    /// <summary>#id "text", escaped for markup.</summary>
    public static string Label(Fact f) => $"[bold]#{f.Id}[/] \"{Markup.Escape(f.Text)}\"";

    public static Table Table(IEnumerable<Fact> facts, bool showStatus)
    {
        var table = new Table().Border(TableBorder.Simple).AddColumn(new TableColumn("id").RightAligned()).AddColumn("category");
        if (showStatus) table.AddColumn("status");
        table.AddColumn(new TableColumn("importance").RightAligned()).AddColumn(new TableColumn("seen").RightAligned()).AddColumn("last seen (UTC)").AddColumn("fact");
        foreach (var f in facts)
        {
            var cells = new List<string> { f.Id.ToString(CultureInfo.InvariantCulture), Markup.Escape(f.Category) };
            if (showStatus)
                cells.Add(f.Status == FactStatus.Superseded && f.SupersededBy is { } by ? $"superseded by #{by}" : FactCodes.Code(f.Status));
            cells.Add(f.Importance.ToString("0.00", CultureInfo.InvariantCulture));
            cells.Add(f.SeenCount.ToString(CultureInfo.InvariantCulture));
            cells.Add(Short(f.LastSeenAt));
            cells.Add(Markup.Escape(f.Text));
            table.AddRow([.. cells]);
        }
        return table;
    }

    public static void Review(IAnsiConsole console, ReviewItem item)
    {
        var verb = item.Review.Kind == FactReviewKind.Contradiction ? "may contradict" : "may repeat";
        console.MarkupLine($"[bold]review {item.Review.Id}[/] ({FactService.Describe(item.Review.Status)}): new {Label(item.Candidate)}");
        if (item.Existing is { } existing)
            console.MarkupLine($"    {verb} {Label(existing)} ({FactCodes.Code(existing.Status)})");
        else if (item.Review.Kind == FactReviewKind.Captured)
            console.MarkupLine(string.Create(CultureInfo.InvariantCulture, $"    captured, importance {item.Candidate.Importance:0.00}: accept or keep it to remember it, reject to drop it"));
        else
            console.MarkupLine("    (the fact it was compared with has been purged)");
        console.MarkupLine($"    why: {Markup.Escape(item.Review.Reason)}");
    }
}
