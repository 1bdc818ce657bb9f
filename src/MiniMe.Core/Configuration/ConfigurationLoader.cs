using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace MiniMe.Configuration;

/// <summary>
/// Builds the effective configuration: embedded defaults, then config.yaml, then MINIME_ environment
/// variables ("__" nests: MINIME_LLM__PROVIDER), then command-line overrides. <see cref="Load"/> checks
/// it once, before anything uses it, and reports every problem at once in one
/// <see cref="InvalidSettingsException"/>: keys no options class binds (<see cref="SettingKeys"/>),
/// values that do not fit their setting's type or allowed words (<see cref="SettingValues"/>), and the
/// rules of each options class (<see cref="MiniMeOptionsValidator"/>). Each problem says where the
/// value came from: file:line:column in config.yaml, or the environment variable.
/// </summary>
public static partial class ConfigurationLoader
{
    public const string EnvironmentPrefix = "MINIME_";

    /// <summary>The keys of <see cref="MiniMeOptions"/> (a written-out table, no reflection); hosts that bind more sections extend it (<see cref="SettingKeys.WithSection{TSection}"/>).</summary>
    public static SettingKeys Keys { get; } = SettingKeys.OfMiniMeOptions();

    public static IConfigurationRoot Build(Workspace workspace, IEnumerable<KeyValuePair<string, string?>>? overrides = null)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        return Sources.Open(workspace, overrides).Configuration;
    }

    /// <param name="keys">The settings that exist (default <see cref="Keys"/>); any other key in config.yaml or a MINIME_ section variable is refused.</param>
    /// <exception cref="UnknownSettingsException">Only unknown keys are wrong.</exception>
    /// <exception cref="InvalidSettingsException">Values are wrong (and maybe keys too): every problem, one line each.</exception>
    public static MiniMeOptions Load(Workspace workspace, IEnumerable<KeyValuePair<string, string?>>? overrides = null, SettingKeys? keys = null)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        keys ??= Keys;
        var sources = Sources.Open(workspace, overrides);
        var unknown = new List<Problem>();
        if (sources.File is { } file)
            unknown.AddRange(keys.CheckDocument(file).Select(p => Positioned(file, p)));
        unknown.AddRange(keys.CheckEnvironment(EnvironmentVariables(), EnvironmentPrefix).Select(p => new Problem(p, Order: 1)));

        // A call on the concrete type, which the configuration binding source generator compiles (no reflection).
        var (options, invalid) = Bind(sources, keys, section: null, new MiniMeOptionsValidator(), static (configuration, options) => configuration.Bind(options));
        if (invalid.Count == 0 && unknown.Count > 0) throw new UnknownSettingsException([.. unknown.Select(p => p.Text)]);
        if (invalid.Count > 0 || unknown.Count > 0)
            throw new InvalidSettingsException([.. unknown.Concat(invalid).OrderBy(p => p.Order).ThenBy(p => p.Line).ThenBy(p => p.Column).Select(p => p.Text)]);
        return options;
    }

    /// <summary>
    /// Binds and checks one top-level section that a host adds (server): its values' types, then
    /// <paramref name="validator"/>. Unknown keys are left to <see cref="Load"/>, which knows every section.
    /// </summary>
    /// <exception cref="InvalidSettingsException">Every problem, one line each.</exception>
    public static TSection LoadSection<TSection>(Workspace workspace, string section, IValidateOptions<TSection> validator, IEnumerable<KeyValuePair<string, string?>>? overrides = null)
        where TSection : class, new()
    {
        ArgumentNullException.ThrowIfNull(workspace);
        ArgumentException.ThrowIfNullOrWhiteSpace(section);
        ArgumentNullException.ThrowIfNull(validator);
        var keys = SettingKeys.For<Empty>().WithSection<TSection>(section);
        var (options, invalid) = Bind(Sources.Open(workspace, overrides), keys, section, validator, (configuration, options) => BindByReflection(configuration, options));
        if (invalid.Count > 0)
            throw new InvalidSettingsException([.. invalid.OrderBy(p => p.Order).ThenBy(p => p.Line).ThenBy(p => p.Column).Select(p => p.Text)]);
        return options;
    }

    private sealed class Empty;

    /// <summary>
    /// The reflection binder, for a section type known only to the host (server): a generic call the source
    /// generator cannot compile. Taken as a method group, not called, so the generator leaves it alone
    /// (it reports every call it cannot intercept, and its reports cannot be silenced in source).
    /// </summary>
    private static readonly Action<IConfiguration, object?> BindByReflection = ConfigurationBinder.Bind;

    /// <summary>One problem, sorted by where it is: config.yaml in file order, then variables, then the rest.</summary>
    private sealed record Problem(string Text, int Order, long Line = 0, long Column = 0);

    /// <summary>
    /// Checks every value under <paramref name="section"/> (all when null) against its setting, binds
    /// what fits (a value that does not is left at its default, so the other checks still run), then
    /// validates. Returns the options and every problem found.
    /// </summary>
    /// <param name="bind">Binds the configuration into the options (a call on the concrete type where there is one).</param>
    private static (T Options, List<Problem> Problems) Bind<T>(Sources sources, SettingKeys keys, string? section, IValidateOptions<T> validator, Action<IConfiguration, T> bind)
        where T : class, new()
    {
        var problems = new List<Problem>();
        var misfits = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in sources.Configuration.AsEnumerable())
        {
            if (value is null) continue;
            if (section is not null && !key.StartsWith(section + ":", StringComparison.OrdinalIgnoreCase)) continue;
            if (keys.Setting(key) is not { } setting) continue; // unknown keys are reported by CheckDocument / CheckEnvironment
            if (SettingValues.Check(setting.Type, value, setting.Optional) is not { } problem) continue;
            problems.Add(sources.Locate(key, $"{setting.Display}: {problem}"));
            misfits.Add(key);
        }
        // Without the values that do not fit (their settings keep their defaults): the binder would stop at the first.
        var configuration = misfits.Count == 0
            ? sources.Configuration
            : new ConfigurationBuilder().AddInMemoryCollection(sources.Configuration.AsEnumerable().Where(kv => !misfits.Contains(kv.Key))).Build();
        var options = new T();
        try
        {
            bind(section is null ? configuration : configuration.GetSection(section), options);
        }
        catch (InvalidOperationException e)
        {
            // SettingValues accepts only what binds; this is a setting type it does not know yet.
            throw new ConfigException($"{sources.ConfigPath}: a setting could not be read ({Untyped(e.Message)}); run with --verbose for details", e, ErrorCategory.InvalidSettings);
        }
        var result = validator.Validate(Options.DefaultName, options);
        if (result.Failed)
            problems.AddRange((result.Failures ?? []).Select(f => sources.Locate(SettingKey(f), f)));
        return (options, problems);
    }

    /// <summary>A "file:line:column: ..." line, kept with its position to sort among the others.</summary>
    private static Problem Positioned(YamlConfigurationDocument file, string text)
    {
        var position = Position().Match(text, file.SourceName.Length);
        return position.Success && text.StartsWith(file.SourceName, StringComparison.Ordinal)
            ? new Problem(text, Order: 0, long.Parse(position.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), long.Parse(position.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture))
            : new Problem(text, Order: 0);
    }

    [GeneratedRegex(@"\G:(\d+):(\d+): ")]
    private static partial Regex Position();

    /// <summary>The configuration key a failure starts with ("llm.prices[0].model must ..." → llm:prices:0:model), or null.</summary>
    private static string? SettingKey(string failure)
    {
        var match = SettingPath().Match(failure);
        return match.Success ? match.Value.Replace("[", ":", StringComparison.Ordinal).Replace("]", "", StringComparison.Ordinal).Replace('.', ':') : null;
    }

    [GeneratedRegex(@"^[a-z][A-Za-z]*(\.[a-z][A-Za-z]*|\[\d+\])+")]
    private static partial Regex SettingPath();

    /// <summary>The binder's message without "to type 'System.Int32'".</summary>
    private static string Untyped(string message) => TypeClause().Replace(message, "").TrimEnd('.');

    [GeneratedRegex(@"\s*to type '[^']*'")]
    private static partial Regex TypeClause();

    private static IEnumerable<KeyValuePair<string, string?>> EnvironmentVariables()
    {
        foreach (System.Collections.DictionaryEntry entry in Environment.GetEnvironmentVariables())
            yield return new((string)entry.Key, entry.Value as string);
    }

    /// <summary>The configuration with its providers kept apart, to say which one a value came from.</summary>
    private sealed class Sources
    {
        private readonly IConfigurationProvider? _file;
        private readonly IConfigurationProvider _environment;

        private Sources(string configPath, YamlConfigurationDocument? file, IConfigurationRoot configuration)
        {
            ConfigPath = configPath;
            File = file;
            Configuration = configuration;
            var providers = configuration.Providers.ToList();
            _file = file is null ? null : providers[0];
            _environment = providers[file is null ? 0 : 1];
        }

        public string ConfigPath { get; }
        public YamlConfigurationDocument? File { get; }
        public IConfigurationRoot Configuration { get; }

        public static Sources Open(Workspace workspace, IEnumerable<KeyValuePair<string, string?>>? overrides)
        {
            var file = System.IO.File.Exists(workspace.ConfigPath) ? YamlConfigurationReader.ReadDocumentFile(workspace.ConfigPath) : null;
            var builder = new ConfigurationBuilder();
            if (file is not null) builder.AddInMemoryCollection(file.Values);
            builder.AddEnvironmentVariables(EnvironmentPrefix);
            if (overrides is not null) builder.AddInMemoryCollection(overrides);
            return new Sources(workspace.ConfigPath, file, builder.Build());
        }

        /// <summary>"config.yaml:52:13: text" when the file set <paramref name="key"/> last, "environment variable MINIME_...: text" when a variable did.</summary>
        public Problem Locate(string? key, string text)
        {
            var provider = key is null ? null : Configuration.Providers.Reverse().FirstOrDefault(p => p.TryGet(key, out _));
            if (provider is not null && ReferenceEquals(provider, _environment))
                return new Problem($"environment variable {Variable(key!)}: {text}", Order: 1);
            if (provider is not null && ReferenceEquals(provider, _file) && File is { } file &&
                (file.ValueLocations.TryGetValue(key!, out var at) || file.KeyLocations.TryGetValue(key!, out at)))
                return new Problem($"{file.SourceName}:{at.Line}:{at.Column}: {text}", Order: 0, at.Line, at.Column);
            // A default, an override, or a rule across settings: the file it belongs to.
            return new Problem($"{ConfigPath}: {text}", Order: 2);
        }

        private static string Variable(string key)
        {
            var name = EnvironmentPrefix + key.Replace(":", "__", StringComparison.Ordinal);
            return EnvironmentVariables().Select(e => e.Key).FirstOrDefault(v => string.Equals(v, name, StringComparison.OrdinalIgnoreCase))
                ?? name.ToUpperInvariant();
        }
    }
}
