using System.Globalization;

namespace MiniMe.Bench.Support;

/// <summary>Percentiles of a set of samples (nearest-rank).</summary>
public static class Stats
{
    public static double Percentile(IReadOnlyList<double> samples, double p)
    {
        if (samples.Count == 0) return double.NaN;
        var sorted = samples.Order().ToArray();
        var rank = (int)Math.Ceiling(p / 100.0 * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
    }

    public static string Ms(double value) => value.ToString(value < 10 ? "0.000" : "0.0", CultureInfo.InvariantCulture);
}

/// <summary>Writes result rows as Markdown table lines, ready to paste into docs/benchmarks.md.</summary>
public static class Report
{
    public static void Header(string title, params string[] columns)
    {
        Console.WriteLine();
        Console.WriteLine($"### {title}");
        Console.WriteLine();
        Console.WriteLine("| " + string.Join(" | ", columns) + " |");
        Console.WriteLine("|" + string.Concat(columns.Select(_ => "---|")));
    }

    public static void Row(params object[] cells) =>
        Console.WriteLine("| " + string.Join(" | ", cells.Select(c => Convert.ToString(c, CultureInfo.InvariantCulture))) + " |");
}
