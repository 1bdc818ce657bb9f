using System.Text;
using MiniMe.Configuration;
using MiniMe.Packs;
using MiniMe.Tests.Support;

namespace MiniMe.Tests.Packs;

/// <summary>
/// The knowledge pack format: a folder with pack.yaml or one *.pack.yaml file. Every problem is one
/// "file:line:column: ..." line, all of them at once; the safe YAML loader's limits and the pack's own
/// limits hold.
/// </summary>
public sealed class PackFormatTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private const string Valid = """
        name: demo
        version: 1.0.0
        topics: [kafka]
        rules:
          - Keep it short.
        """;

    private static InvalidPackException Invalid(string yaml) =>
        Assert.Throws<InvalidPackException>(() => PackParser.ParseSingleFile(yaml, "demo.pack.yaml"));

    [Fact]
    public void A_folder_pack_reads_every_key_with_file_and_inline_documents()
    {
        _dir.Write("pg/docs/vacuum.md", "# Vacuum\n\nDead rows wait for vacuum.\n");
        _dir.Write("pg/pack.yaml", """
            # comment
            name: postgres-ops
            version: "1.2"
            description: Running PostgreSQL.
            topics: [Postgres, "Connection   Pool"]
            facts:
              - text: VACUUM FULL locks the table.
                category: Vacuum
              - text: Defaults to the general category.
            rules:
              - Take a backup first.
            documents:
              - docs/vacuum.md
              - title: Checklist
                text: |
                  Check the locks.
            """);
        var loaded = PackParser.Load(_dir.Combine("pg"));
        var pack = loaded.Pack;
        Assert.Equal("postgres-ops", pack.Name);
        Assert.Equal("1.2.0", pack.Version.ToString());
        Assert.Equal("Running PostgreSQL.", pack.Description);
        Assert.Equal(["postgres", "connection pool"], pack.Topics);
        Assert.Equal([new PackFact("VACUUM FULL locks the table.", "vacuum"), new PackFact("Defaults to the general category.", "general")], pack.Facts);
        Assert.Equal(["Take a backup first."], pack.Rules);
        Assert.Equal(2, pack.Documents.Count);
        Assert.Equal(new PackDocument("docs/vacuum.md", "docs/vacuum.md", "# Vacuum\n\nDead rows wait for vacuum.\n"), pack.Documents[0]);
        Assert.Equal("Checklist", pack.Documents[1].Title);
        Assert.Null(pack.Documents[1].Path);
        Assert.Equal("Check the locks.", pack.Documents[1].Text);
        Assert.Equal("docs/vacuum.md", Assert.Single(loaded.Files).Path);

        // pack.yaml itself names the same pack; the content hash follows the content, not the path.
        var again = PackParser.Load(_dir.Combine("pg", "pack.yaml"));
        Assert.Equal(loaded.ContentHash, again.ContentHash);
        _dir.Write("pg/docs/vacuum.md", "# Vacuum\n\nChanged.\n");
        Assert.NotEqual(loaded.ContentHash, PackParser.Load(_dir.Combine("pg")).ContentHash);
    }

    [Fact]
    public void A_single_file_pack_parses_from_its_path()
    {
        var path = _dir.Write("demo.pack.yaml", Valid);
        var loaded = PackParser.Load(path);
        Assert.Equal("demo", loaded.Pack.Name);
        Assert.Empty(loaded.Files);
        Assert.Equal(Encoding.UTF8.GetBytes(Valid), loaded.Manifest);
    }

    [Theory]
    [InlineData("name: demo\nversion: 1.0.0\ntopcs: [kafka]\nrules: [a]\n", "demo.pack.yaml:3:1: unknown key 'topcs' in the pack; did you mean 'topics'?")]
    [InlineData("name: demo\nversion: 1.0.0\ntopics: [kafka]\nrules: [a]\nauthor: me\n", "demo.pack.yaml:5:1: unknown key 'author' in the pack; expected name, version, description, topics, facts, rules, documents")]
    [InlineData("name: Demo Pack\nversion: 1.0.0\ntopics: [kafka]\nrules: [a]\n", "demo.pack.yaml:1:7: name 'Demo Pack' is not a slug")]
    [InlineData("name: demo\nversion: one\ntopics: [kafka]\nrules: [a]\n", "demo.pack.yaml:2:10: version 'one' is not a version")]
    [InlineData("version: 1.0.0\ntopics: [kafka]\nrules: [a]\n", "demo.pack.yaml:1:1: 'name' is missing")]
    [InlineData("name: demo\ntopics: [kafka]\nrules: [a]\n", "demo.pack.yaml:1:1: 'version' is missing")]
    [InlineData("name: demo\nversion: 1.0.0\nrules: [a]\n", "demo.pack.yaml:1:1: 'topics' is missing")]
    [InlineData("name: demo\nversion: 1.0.0\ntopics: kafka\nrules: [a]\n", "demo.pack.yaml:3:9: topics must be a list of text")]
    [InlineData("name: demo\nversion: 1.0.0\ntopics: [kafka, Kafka]\nrules: [a]\n", "demo.pack.yaml:3:17: topic 'kafka' is listed twice")]
    [InlineData("name: demo\nversion: 1.0.0\ntopics: [kafka, '!!']\nrules: [a]\n", "demo.pack.yaml:3:17: topic '!!' has no letters or digits")]
    [InlineData("name: demo\nversion: 1.0.0\ntopics: []\nrules: [a]\n", "demo.pack.yaml:1:1: 'topics' is empty")]
    [InlineData("name: demo\nversion: 1.0.0\ntopics: [kafka]\nrules:\n  - [a, b]\n", "demo.pack.yaml:5:5: rules: rule #1 must be text, not a list")]
    [InlineData("name: demo\nversion: 1.0.0\ntopics: [kafka]\nfacts:\n  - Kafka is a log.\n", "demo.pack.yaml:5:5: fact #1 must be a mapping with text")]
    [InlineData("name: demo\nversion: 1.0.0\ntopics: [kafka]\nfacts:\n  - txt: Kafka is a log.\n", "demo.pack.yaml:5:5: unknown key 'txt' in fact #1; did you mean 'text'?")]
    [InlineData("name: demo\nversion: 1.0.0\ntopics: [kafka]\nfacts:\n  - category: x\n", "demo.pack.yaml:5:5: fact #1 has no text")]
    [InlineData("name: demo\nversion: 1.0.0\ntopics: [kafka]\nfacts: {text: a}\n", "demo.pack.yaml:4:8: facts must be a list of facts")]
    [InlineData("name: demo\nversion: 1.0.0\ntopics: [kafka]\ndocuments:\n  - title: Notes\n", "demo.pack.yaml:5:5: document #1 ('Notes') has no text")]
    [InlineData("name: demo\nversion: 1.0.0\ntopics: [kafka]\ndocuments:\n  - notes.md\n", "demo.pack.yaml:5:5: document 'notes.md' is a file path, but a single-file pack has no folder")]
    [InlineData("name: demo\nversion: 1.0.0\ntopics: [kafka]\ndescription: [a]\nrules: [a]\n", "demo.pack.yaml:4:14: description must be text, not a list")]
    [InlineData("name: demo\nversion: 1.0.0\ntopics: [kafka]\n", "demo.pack.yaml:1:1: the pack has no rules, facts or documents")]
    [InlineData("- name: demo\n", "demo.pack.yaml:1:1: a pack is a mapping of keys")]
    [InlineData("", "demo.pack.yaml:1:1: the pack is empty")]
    [InlineData("name: demo\nname: other\n", "demo.pack.yaml:2:1: invalid YAML: Duplicate key")]
    [InlineData("name: demo\nversion: [1.0\n", "demo.pack.yaml:")]
    public void Each_problem_is_one_line_with_file_line_and_column(string yaml, string expected)
    {
        var error = Invalid(yaml);
        var line = Assert.Single(error.Problems);
        Assert.StartsWith(expected, line, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', line);
    }

    [Fact]
    public void Every_problem_is_reported_at_once_one_line_each()
    {
        var error = Invalid("name: Bad Name\nversion: x\ntopics: [kafka]\nrulez: [a]\nfacts:\n  - text: ok\n    categroy: b\n");
        Assert.Equal(
        [
            "demo.pack.yaml:1:7: name 'Bad Name' is not a slug; use lowercase letters, digits and '-' (starting with a letter or digit), e.g. postgres-ops",
            "demo.pack.yaml:2:10: version 'x' is not a version; write numbers separated by dots, e.g. 1.0.0 or 2.1.0-beta.1",
            "demo.pack.yaml:4:1: unknown key 'rulez' in the pack; did you mean 'rules'?",
            "demo.pack.yaml:7:5: unknown key 'categroy' in fact #1; did you mean 'category'?",
        ], error.Problems);
        Assert.Equal(string.Join('\n', error.Problems), error.Message);
        Assert.Equal(ErrorCategory.InvalidInput, error.Category);
    }

    [Theory]
    [InlineData("/etc/passwd.md", "must be a relative path inside the pack folder")]
    [InlineData("../outside.md", "must be a relative path inside the pack folder")]
    [InlineData("docs/../../outside.md", "must be a relative path inside the pack folder")]
    [InlineData("script.sh", "is not Markdown or text")]
    [InlineData("missing.md", "does not exist")]
    public void Document_paths_stay_inside_the_pack_folder(string path, string expected)
    {
        _dir.Write("outside.md", "outside");
        _dir.Write("pack/script.sh", "echo hi");
        _dir.Write("pack/pack.yaml", $"name: demo\nversion: 1.0.0\ntopics: [kafka]\ndocuments:\n  - {path}\n");
        var error = Assert.Throws<InvalidPackException>(() => PackParser.Load(_dir.Combine("pack")));
        var line = Assert.Single(error.Problems);
        Assert.StartsWith($"{_dir.Combine("pack", "pack.yaml")}:5:5: document '{path}' ", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
    }

    [Fact]
    public void A_document_that_is_a_link_binary_or_too_large_is_refused()
    {
        _dir.Write("secret.md", "outside the pack");
        _dir.Write("pack/binary.txt", "a\0b");
        _dir.Write("pack/large.md", new string('x', PackParser.MaxDocumentBytes + 1));
        File.CreateSymbolicLink(_dir.Combine("pack", "link.md"), _dir.Combine("secret.md"));
        _dir.Write("pack/pack.yaml", "name: demo\nversion: 1.0.0\ntopics: [kafka]\ndocuments: [link.md, binary.txt, large.md]\n");
        var error = Assert.Throws<InvalidPackException>(() => PackParser.Load(_dir.Combine("pack")));
        Assert.Collection(error.Problems,
            p => Assert.EndsWith(":4:13: document 'link.md' is a symbolic link; copy the file into the pack folder instead", p, StringComparison.Ordinal),
            p => Assert.EndsWith(":4:22: document 'binary.txt' is not UTF-8 text", p, StringComparison.Ordinal),
            p => Assert.Contains(":4:34: document 'large.md' is 256 KiB; a document holds at most 256 KiB", p, StringComparison.Ordinal));
    }

    [Fact]
    public void The_safe_loader_limits_hold_for_packs()
    {
        var bomb = new StringBuilder("name: demo\nversion: 1.0.0\ntopics: [kafka]\nrules: [a]\n");
        bomb.Append("l0: &l0 [").Append(string.Join(", ", Enumerable.Repeat("\"lol\"", 10))).Append("]\n");
        for (var level = 1; level < 8; level++)
            bomb.Append($"l{level}: &l{level} [").Append(string.Join(", ", Enumerable.Repeat($"*l{level - 1}", 10))).Append("]\n");
        var aliases = Assert.Single(Invalid(bomb.ToString()).Problems);
        Assert.Matches(@"^demo\.pack\.yaml:\d+:\d+: .*(aliases|nodes).*; refused$", aliases);

        var deep = "name: demo\nrules: " + new string('[', SafeYamlLoader.MaxDepth + 5) + new string(']', SafeYamlLoader.MaxDepth + 5) + "\n";
        Assert.Contains($"nested more than {SafeYamlLoader.MaxDepth} levels deep", Assert.Single(Invalid(deep).Problems), StringComparison.Ordinal);

        var huge = _dir.Write("huge.pack.yaml", Valid + "\ndescription: " + new string('x', SafeYamlLoader.MaxBytes) + "\n");
        var size = Assert.Throws<InvalidPackException>(() => PackParser.Load(huge));
        Assert.Contains("refuses YAML files over 1 MiB", Assert.Single(size.Problems), StringComparison.Ordinal);
    }

    [Fact]
    public void The_packs_own_limits_hold()
    {
        var topics = string.Join(", ", Enumerable.Range(1, PackParser.MaxTopics + 1).Select(i => $"t{i}"));
        var many = Assert.Single(Invalid($"name: demo\nversion: 1.0.0\ntopics: [{topics}]\nrules: [a]\n").Problems);
        Assert.StartsWith("demo.pack.yaml:3:", many, StringComparison.Ordinal);
        Assert.Contains($"more than {PackParser.MaxTopics}", many, StringComparison.Ordinal);

        var longRule = Assert.Single(Invalid($"name: demo\nversion: 1.0.0\ntopics: [kafka]\nrules:\n  - {new string('r', PackParser.MaxTextLength + 1)}\n").Problems);
        Assert.StartsWith($"demo.pack.yaml:5:5: rules: rule #1 is {PackParser.MaxTextLength + 1} characters; at most {PackParser.MaxTextLength}", longRule, StringComparison.Ordinal);

        var longName = Assert.Single(Invalid($"name: {new string('a', PackParser.MaxNameLength + 1)}\nversion: 1.0.0\ntopics: [kafka]\nrules: [a]\n").Problems);
        Assert.StartsWith("demo.pack.yaml:1:7: name is 65 characters; at most 64", longName, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1.10", "1.9", 1)]
    [InlineData("1.2", "1.2.0", 0)]
    [InlineData("2.0.0", "10.0.0", -1)]
    [InlineData("1.0.0-beta.2", "1.0.0", -1)]
    [InlineData("1.0.0-beta.2", "1.0.0-beta.10", 1)]
    [InlineData("1.0.0.1", "1.0.0", 1)]
    public void Versions_compare_number_by_number(string a, string b, int expected)
    {
        Assert.Equal(expected, Math.Sign(PackVersion.Parse(a).CompareTo(PackVersion.Parse(b))));
    }

    [Theory]
    [InlineData("1", "1.0.0")]
    [InlineData("1.2", "1.2.0")]
    [InlineData("1.2.3.0", "1.2.3")]
    [InlineData("2.0-rc.1", "2.0.0-rc.1")]
    public void Versions_are_written_with_at_least_three_numbers(string text, string expected) =>
        Assert.Equal(expected, PackVersion.Parse(text).ToString());

    [Theory]
    [InlineData("v1.0")]
    [InlineData("1..0")]
    [InlineData("1.0.0.0.0")]
    [InlineData("1.0/../x")]
    [InlineData("")]
    public void Malformed_versions_are_refused(string text)
    {
        Assert.False(PackVersion.TryParse(text, out _));
        Assert.Throws<InvalidInputException>(() => PackVersion.Parse(text));
    }
}
