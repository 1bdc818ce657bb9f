namespace MiniMe.Storage.Sqlite;

/// <summary>Tags are stored as ",a,b," so a filter can match a whole tag with instr().</summary>
internal static class TagCodec
{
    public static string Encode(IReadOnlyList<string> tags) =>
        tags.Count == 0 ? "," : "," + string.Join(",", tags) + ",";

    public static IReadOnlyList<string> Decode(string stored) =>
        stored.Split(',', StringSplitOptions.RemoveEmptyEntries);
}
