using System.Text.RegularExpressions;
using MiniMe.Configuration;
using MiniMe.Tests.Support;

namespace MiniMe.Tests.Configuration;

/// <summary>
/// Settings that take one of a few words are typed enums, bound in any case; every value is checked
/// once at load, and every problem is reported at once with where it was written.
/// </summary>
public sealed partial class SettingValidationTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private Workspace NewWorkspace(params (string From, string To)[] edits)
    {
        var workspace = new Workspace(_dir.Combine(".minime"));
        WorkspaceInitializer.Initialize(workspace, "Ada", force: false);
        var text = File.ReadAllText(workspace.ConfigPath);
        foreach (var (from, to) in edits)
        {
            Assert.Contains(from, text, StringComparison.Ordinal);
            text = text.Replace(from, to, StringComparison.Ordinal);
        }
        File.WriteAllText(workspace.ConfigPath, text);
        return workspace;
    }

    private static (int Line, int Column) PositionOf(Workspace workspace, string value)
    {
        var lines = File.ReadAllLines(workspace.ConfigPath);
        var line = Array.FindIndex(lines, l => l.Contains(value, StringComparison.Ordinal));
        return (line + 1, lines[line].IndexOf(value, StringComparison.Ordinal) + 1);
    }

    [GeneratedRegex(@"System\.|`\d|\[\[|Int32|Boolean|Nullable")]
    private static partial Regex TypeName();

    private const string LlmProvider = "  provider: none         # none (dry";
    private const string EmbeddingsModel = "  model: minilm          #";

    [Fact]
    public void Enum_settings_bind_in_any_case_to_their_typed_values()
    {
        var options = ConfigurationLoader.Load(NewWorkspace(
            (LlmProvider, "  provider: OpenAI         # none (dry"),
            ("  store: sqlite", "  store: SQLite"),
            ("vectorSearch: auto", "vectorSearch: PgVector"),
            (EmbeddingsModel, "  provider: ONNX\n  modelPath: m.onnx\n  vocabPath: v.txt #"),
            ("responseFormat: json", "responseFormat: Text"),
            ("sandbox: auto", "sandbox: BWRAP")));
        Assert.Equal(MiniMe.Configuration.LlmProvider.OpenAI, options.Llm.Provider);
        Assert.Equal(MemoryStoreKind.Sqlite, options.Memory.Store);
        Assert.Equal(VectorSearchMode.Pgvector, options.Memory.VectorSearch);
        Assert.Equal(EmbeddingProvider.Onnx, options.Embeddings.Provider);
        Assert.Equal(LlmResponseFormat.Text, options.Llm.ResponseFormat);
        Assert.Equal(SandboxMode.Bwrap, options.Tools.Sandbox);
    }

    [Fact]
    public void An_invalid_enum_value_names_the_allowed_values_and_the_closest_one_without_a_type_name()
    {
        var workspace = NewWorkspace((LlmProvider, "  provider: opnai         # none (dry"));
        var error = Assert.Throws<InvalidSettingsException>(() => ConfigurationLoader.Load(workspace));
        var (line, column) = PositionOf(workspace, "opnai");
        Assert.Equal(
            $"{workspace.ConfigPath}:{line}:{column}: llm.provider: 'opnai' is not one of none, openai, ollama, anthropic (did you mean openai?)",
            Assert.Single(error.Problems));
        Assert.DoesNotMatch(TypeName(), error.Message);
        Assert.Equal(ErrorCategory.InvalidSettings, error.Category);
    }

    [Fact]
    public void A_number_is_not_an_enum_value()
    {
        var workspace = NewWorkspace(("sandbox: auto", "sandbox: 2"));
        var error = Assert.Throws<InvalidSettingsException>(() => ConfigurationLoader.Load(workspace));
        Assert.EndsWith("tools.sandbox: '2' is not one of auto, bwrap, none", Assert.Single(error.Problems), StringComparison.Ordinal);
    }

    [Fact]
    public void Several_invalid_values_and_unknown_keys_are_reported_at_once_in_file_order()
    {
        var workspace = NewWorkspace(
            ("  store: sqlite", "  store: sqlte"),
            ("defaultK: 8", "defaultK: 99999999999"),
            ("chunkChars: 1200", "chunkChars: 100"),
            (LlmProvider, "  provider: opnai         # none (dry"),
            ("maxRetries: 3 ", "maxRetries: many "),
            ("sandbox: auto", "sandbox: bwarp"),
            ("allowNetwork: false", "allowNetwork: maybe"),
            ("user:\n", "provder: openai\nuser:\n"));
        var error = Assert.Throws<InvalidSettingsException>(() => ConfigurationLoader.Load(workspace));
        var path = Regex.Escape(workspace.ConfigPath);
        Assert.Collection(error.Problems,
            p => Assert.Matches($@"^{path}:\d+:1: unknown setting 'provder'; known settings: ", p),
            p => Assert.Matches($@"^{path}:\d+:\d+: memory\.store: 'sqlte' is not one of sqlite, postgres \(did you mean sqlite\?\)$", p),
            p => Assert.Matches($@"^{path}:\d+:\d+: import\.chunkChars must be at least 200 \(is 100\)$", p),
            p => Assert.Matches($@"^{path}:\d+:\d+: import\.overlapChars must be between 0 and import\.chunkChars \(is 200, chunkChars 100\)$", p),
            p => Assert.Matches($@"^{path}:\d+:\d+: retrieval\.defaultK: '99999999999' is too large \(at most 2,147,483,647\)$", p),
            p => Assert.Matches($@"^{path}:\d+:\d+: llm\.provider: 'opnai' is not one of none, openai, ollama, anthropic \(did you mean openai\?\)$", p),
            p => Assert.Matches($@"^{path}:\d+:\d+: llm\.maxRetries: 'many' is not a whole number$", p),
            p => Assert.Matches($@"^{path}:\d+:\d+: tools\.sandbox: 'bwarp' is not one of auto, bwrap, none \(did you mean bwrap\?\)$", p),
            p => Assert.Matches($@"^{path}:\d+:\d+: tools\.allowNetwork: 'maybe' is not true or false$", p));
        Assert.Equal(string.Join('\n', error.Problems), error.Message);
        Assert.DoesNotMatch(TypeName(), error.Message);
    }

    [Fact]
    public void A_value_that_does_not_fit_keeps_its_default_so_it_is_reported_once()
    {
        // Bound as 0, the misfit would also break "must be between 1 and 1,000" and be reported twice.
        var workspace = NewWorkspace(("defaultK: 8", "defaultK: lots"));
        var error = Assert.Throws<InvalidSettingsException>(() => ConfigurationLoader.Load(workspace));
        Assert.EndsWith("retrieval.defaultK: 'lots' is not a whole number", Assert.Single(error.Problems), StringComparison.Ordinal);
    }

    [Fact]
    public void The_validators_report_every_rule_broken_in_code_built_options()
    {
        var options = new MiniMeOptions();
        options.Llm.MaxRetries = 99;
        options.Llm.Provider = (MiniMe.Configuration.LlmProvider)42;
        options.Tools.CommandTimeoutSeconds = 0;
        options.Memory.Store = MemoryStoreKind.Postgres;
        var result = new MiniMeOptionsValidator().Validate(null, options);
        Assert.True(result.Failed);
        Assert.Equal(
            [
                "memory.store is postgres but memory.connectionString is not set (or set MINIME_MEMORY__CONNECTIONSTRING)",
                "llm.provider: '42' is not one of none, openai, ollama, anthropic",
                "llm.maxRetries must be between 0 and 10 (is 99)",
                "tools.commandTimeoutSeconds must be between 1 and 86,400 (is 0)",
            ],
            result.Failures);
    }

    [Fact]
    public void Enum_values_are_written_in_lower_case()
    {
        Assert.Equal("openai", SettingValues.Name(MiniMe.Configuration.LlmProvider.OpenAI));
        Assert.Equal(["none", "openai", "ollama", "anthropic"], SettingValues.Names(typeof(MiniMe.Configuration.LlmProvider)));
    }
}
