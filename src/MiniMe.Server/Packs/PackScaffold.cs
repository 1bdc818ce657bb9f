using System.Text;
using MiniMe.Packs;

namespace MiniMe.Server.Packs;

/// <summary>`minime packs create`: a new pack folder with a commented pack.yaml and one example document, ready to edit and import.</summary>
public static class PackScaffold
{
    public const string ExampleDocument = "docs/overview.md";

    /// <summary>Writes NAME/pack.yaml and NAME/docs/overview.md into <paramref name="folder"/> (which must not exist or be empty); returns the pack folder.</summary>
    public static string Create(string name, string folder, IReadOnlyList<string> topics, string? description)
    {
        ArgumentNullException.ThrowIfNull(topics);
        if (!PackParser.IsName(name))
            throw new InvalidInputException($"'{name}' is not a pack name; use lowercase letters, digits and '-' (starting with a letter or digit), e.g. postgres-ops.");
        var full = Path.GetFullPath(folder);
        if (File.Exists(full) || (Directory.Exists(full) && Directory.EnumerateFileSystemEntries(full).Any()))
            throw new PackConflictException($"{full} already exists and is not empty; pick another folder with --dir.");
        var cleaned = topics.Select(t => t.Trim()).Where(t => t.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (cleaned.Count == 0) cleaned.Add(name.Replace('-', ' '));
        Directory.CreateDirectory(Path.Combine(full, "docs"));
        File.WriteAllText(Path.Combine(full, PackParser.ManifestName), Manifest(name, cleaned, description), new UTF8Encoding(false));
        File.WriteAllText(Path.Combine(full, ExampleDocument), Document(name), new UTF8Encoding(false));
        // Check what was written parses, so a scaffold is always importable as it is.
        PackParser.Load(full);
        return full;
    }

    private static string Manifest(string name, IReadOnlyList<string> topics, string? description)
    {
        var text = new StringBuilder();
        text.Append($"""
            # A MiniMe knowledge pack. Edit it, then install it with: minime packs import {name}
            # When the pack is active and a task mentions one of its topics, its rules, facts and the
            # document paragraphs closest to the task join the run's context (see `minime ask --dry-run`).

            # A slug: lowercase letters, digits and '-'. The pack's identity in `minime packs`.
            name: {name}
            # Numbers separated by dots (1.0.0, 1.2, 2.0.0-beta.1), compared number by number.
            # Raise it for every change you import: versions are kept, and you can roll back.
            version: 1.0.0
            description: {Quote(description ?? $"What I know about {name.Replace('-', ' ')}")}

            # Words or phrases; the pack joins a task that contains one of them (case and plural endings ignored).
            # A topic may also be a task domain (backend, frontend, data, devops, security, testing, docs, ml).
            topics:

            """);
        foreach (var topic in topics) text.Append($"  - {Quote(topic)}\n");
        text.Append("""

            # Short imperative rules, applied like principles.
            rules:
              - State the assumption you make when the task leaves one open.

            # Statements that are true in your setting; category is a word that groups them.
            facts:
              - text: This pack was created with minime packs create; replace this fact with a real one.
                category: general

            # Markdown or text files inside this folder, or inline documents:
            #   - title: Checklist
            #     text: |
            #       One paragraph per blank-line separated block.
            documents:

            """);
        text.Append($"  - {ExampleDocument}\n");
        return text.ToString();
    }

    private static string Document(string name) => $"""
        # {name}

        Write what you want MiniMe to know about this topic here. Each paragraph (text between blank
        lines) is ranked against the task, and the closest ones join the context, under the heading they sit in.

        ## Example

        Replace this paragraph with notes, procedures or decisions worth recalling.

        """;

    private static string Quote(string text) => "\"" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
