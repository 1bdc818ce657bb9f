using System.Text.Json;
using Microsoft.Data.Sqlite;

// The floor of each cold-started `minime` command (bench coldstart): the same essential work, done the simplest way.
//   search DB QUERY   open memory.db, run one FTS5 query (top 8 by bm25, joined to the chunk rows), print the rows
//   runs DIR          list the trace files, newest first, and print one line each (first and last event read)
//   trace FILE        read one trace JSONL and print each event
//   version           print a string
switch (args.Length > 0 ? args[0] : "")
{
    case "search" when args.Length == 3:
        using (var connection = new SqliteConnection($"Data Source={args[1]};Mode=ReadOnly"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = """
                SELECT d.source, c.start_offset, c.end_offset, c.text, top.rank
                FROM (SELECT rowid, bm25(chunks_fts, 2.5, 1.0, 0.7) AS rank
                      FROM chunks_fts WHERE chunks_fts MATCH $match ORDER BY rank LIMIT 8) AS top
                JOIN chunks c ON c.id = top.rowid
                JOIN documents d ON d.id = c.document_id
                ORDER BY top.rank
                """;
            command.Parameters.AddWithValue("$match", string.Join(" OR ", args[2].Split(' ', StringSplitOptions.RemoveEmptyEntries)));
            using var reader = command.ExecuteReader();
            var rank = 0;
            while (reader.Read())
            {
                var text = reader.GetString(3).ReplaceLineEndings(" ");
                Console.WriteLine($"{++rank}. {reader.GetString(0)}:{reader.GetInt32(1)}-{reader.GetInt32(2)}  score {-reader.GetDouble(4):0.000}");
                Console.WriteLine("   " + (text.Length <= 220 ? text : text[..220] + "…"));
            }
        }
        return 0;
    case "runs" when args.Length == 2:
        foreach (var file in Directory.GetFiles(args[1], "*.jsonl").OrderDescending(StringComparer.Ordinal))
        {
            var lines = File.ReadAllLines(file);
            using var first = JsonDocument.Parse(lines[0]);
            using var last = JsonDocument.Parse(lines[^1]);
            var data = first.RootElement.GetProperty("data");
            var status = last.RootElement.GetProperty("data").TryGetProperty("status", out var s) ? s.GetString() : "incomplete";
            Console.WriteLine($"{Path.GetFileNameWithoutExtension(file)}  {first.RootElement.GetProperty("timestamp").GetString()}  {status}  {lines.Length} events  {(data.TryGetProperty("task", out var t) ? t.GetString() : "")}");
        }
        return 0;
    case "trace" when args.Length == 2:
        foreach (var line in File.ReadLines(args[1]))
        {
            using var e = JsonDocument.Parse(line);
            Console.WriteLine($"{e.RootElement.GetProperty("timestamp").GetString()}  {e.RootElement.GetProperty("event_type").GetString()}");
            foreach (var property in e.RootElement.GetProperty("data").EnumerateObject())
                Console.WriteLine($"    {property.Name}: {property.Value.GetRawText()}");
        }
        return 0;
    case "version":
        Console.WriteLine("1.0.0");
        return 0;
    default:
        Console.Error.WriteLine("usage: ColdFloor search DB QUERY | runs DIR | trace FILE | version");
        return 2;
}
