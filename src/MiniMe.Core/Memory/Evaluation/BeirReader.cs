using System.Globalization;
using System.Text.Json;

namespace MiniMe.Memory.Evaluation;

/// <summary>
/// Reads a BEIR dataset directory. Every problem is reported as one line naming the file and line
/// (e.g. "corpus.jsonl:12: missing \"_id\""), and nothing is read past the first problem.
/// </summary>
public static class BeirReader
{
    public static BeirDataset Read(string directory, string split = "test")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ArgumentException.ThrowIfNullOrWhiteSpace(split);
        var root = Path.GetFullPath(directory);
        if (!Directory.Exists(root)) throw new NotFoundException($"Dataset directory {root} does not exist.");
        var corpusPath = Required(root, "corpus.jsonl");
        var queriesPath = Required(root, "queries.jsonl");
        var qrelsPath = Required(root, Path.Combine("qrels", $"{split}.tsv"));

        var corpus = new List<BeirDocument>();
        var corpusIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (line, json) in JsonLines(corpusPath))
        {
            var id = RequiredString(json, "_id", corpusPath, line);
            if (!corpusIds.Add(id)) throw Bad(corpusPath, line, $"duplicate _id \"{id}\"");
            var title = OptionalString(json, "title", corpusPath, line) ?? "";
            var text = OptionalString(json, "text", corpusPath, line) ?? "";
            if (title.Length == 0 && text.Length == 0) throw Bad(corpusPath, line, $"document \"{id}\" has neither title nor text");
            corpus.Add(new BeirDocument(id, title, text));
        }
        if (corpus.Count == 0) throw new InvalidInputException($"{corpusPath}: no documents.");

        var queries = new Dictionary<string, BeirQuery>(StringComparer.Ordinal);
        foreach (var (line, json) in JsonLines(queriesPath))
        {
            var id = RequiredString(json, "_id", queriesPath, line);
            var text = RequiredString(json, "text", queriesPath, line);
            if (!queries.TryAdd(id, new BeirQuery(id, text))) throw Bad(queriesPath, line, $"duplicate _id \"{id}\"");
        }

        var qrels = new Dictionary<string, Dictionary<string, int>>(StringComparer.Ordinal);
        var lineNumber = 0;
        var sawHeader = false;
        foreach (var raw in File.ReadLines(qrelsPath))
        {
            lineNumber++;
            if (raw.Length == 0 || raw.All(char.IsWhiteSpace)) continue;
            var fields = raw.Split('\t');
            if (!sawHeader)
            {
                sawHeader = true;
                if (fields.Length >= 3 && fields[0].Trim() == "query-id" && fields[1].Trim() == "corpus-id" && fields[2].Trim() == "score") continue;
                throw Bad(qrelsPath, lineNumber, "expected the header \"query-id<TAB>corpus-id<TAB>score\"");
            }
            if (fields.Length != 3) throw Bad(qrelsPath, lineNumber, $"expected 3 tab-separated fields, found {fields.Length}");
            var (queryId, docId) = (fields[0].Trim(), fields[1].Trim());
            if (!int.TryParse(fields[2].Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var score) || score < 0)
                throw Bad(qrelsPath, lineNumber, $"score \"{fields[2]}\" is not a non-negative integer");
            if (!queries.ContainsKey(queryId)) throw Bad(qrelsPath, lineNumber, $"query-id \"{queryId}\" is not in queries.jsonl");
            if (!corpusIds.Contains(docId)) throw Bad(qrelsPath, lineNumber, $"corpus-id \"{docId}\" is not in corpus.jsonl");
            var judged = qrels.TryGetValue(queryId, out var j) ? j : qrels[queryId] = new Dictionary<string, int>(StringComparer.Ordinal);
            if (!judged.TryAdd(docId, score)) throw Bad(qrelsPath, lineNumber, $"pair ({queryId}, {docId}) is judged twice");
        }
        if (!sawHeader) throw new InvalidInputException($"{qrelsPath}: empty; expected a header and judgements.");
        if (!qrels.Values.Any(j => j.Values.Any(s => s > 0)))
            throw new InvalidInputException($"{qrelsPath}: no judgement has a positive score, so there is nothing to find.");

        var evaluated = queries.Values.Where(q => qrels.ContainsKey(q.Id)).ToList();
        return new BeirDataset(
            Path.GetFileName(root),
            corpus,
            evaluated,
            qrels.ToDictionary(p => p.Key, p => (IReadOnlyDictionary<string, int>)p.Value, StringComparer.Ordinal));
    }

    private static string Required(string root, string relative)
    {
        var path = Path.Combine(root, relative);
        return File.Exists(path) ? path : throw new NotFoundException($"{path} is missing; a BEIR dataset needs corpus.jsonl, queries.jsonl and qrels/<split>.tsv.");
    }

    private static IEnumerable<(int Line, JsonElement Json)> JsonLines(string path)
    {
        var line = 0;
        foreach (var raw in File.ReadLines(path))
        {
            line++;
            if (raw.Length == 0 || raw.All(char.IsWhiteSpace)) continue;
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(raw);
            }
            catch (JsonException e)
            {
                throw Bad(path, line, $"not valid JSON ({e.Message.Split('.')[0]})");
            }
            using (document)
            {
                if (document.RootElement.ValueKind != JsonValueKind.Object) throw Bad(path, line, "expected a JSON object");
                yield return (line, document.RootElement.Clone());
            }
        }
    }

    private static string RequiredString(JsonElement json, string name, string path, int line) =>
        OptionalString(json, name, path, line) is { Length: > 0 } value ? value : throw Bad(path, line, $"missing or empty \"{name}\"");

    private static string? OptionalString(JsonElement json, string name, string path, int line)
    {
        if (!json.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        // Some BEIR corpora use numeric ids; accept them as their text.
        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.GetRawText(),
            _ => throw Bad(path, line, $"\"{name}\" must be a string"),
        };
    }

    private static InvalidInputException Bad(string path, int line, string reason) => new($"{path}:{line}: {reason}");
}
