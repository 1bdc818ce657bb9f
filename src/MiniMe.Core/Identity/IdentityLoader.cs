using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;
using MiniMe.Configuration;

namespace MiniMe.Identity;

/// <summary>
/// Reads identity.yaml (persona and principles) through <see cref="SafeYamlLoader"/>; malformed files fail
/// with file:line:column.
/// </summary>
public static class IdentityLoader
{
    private static readonly IDeserializer Deserializer = new DeserializerBuilder()
        .WithNamingConvention(CamelCaseNamingConvention.Instance)
        .Build();

    public static IdentityDocument Load(string path)
    {
        if (!File.Exists(path)) return new IdentityDocument();
        string yaml;
        try
        {
            yaml = SafeYamlLoader.ReadFile(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"Cannot read {path}: {e.Message}", e);
        }
        return Parse(yaml, path);
    }

    public static IdentityDocument Parse(string yaml, string sourceName)
    {
        IdentityFile? file;
        try
        {
            file = SafeYamlLoader.Deserialize<IdentityFile?>(Deserializer, yaml, sourceName);
        }
        catch (YamlException e)
        {
            var reason = e.InnerException?.Message ?? e.Message;
            var cut = reason.LastIndexOf("): ", StringComparison.Ordinal);
            throw new ConfigException($"{sourceName}:{e.Start.Line}:{e.Start.Column}: invalid identity: {(cut >= 0 ? reason[(cut + 3)..] : reason)}", e);
        }
        if (file is null) return new IdentityDocument();
        var principles = new List<Principle>();
        foreach (var (p, index) in (file.Principles ?? []).Select((p, i) => (p, i)))
        {
            if (string.IsNullOrWhiteSpace(p.Name))
                throw new ConfigException($"{sourceName}: principle #{index + 1} has no name");
            if (p.Magnitude is < 0 or > 1)
                throw new ConfigException($"{sourceName}: principle '{p.Name}' has magnitude {p.Magnitude}; use 0 to 1");
            if (!Enum.TryParse<PrincipleScope>(p.Scope ?? "global", ignoreCase: true, out var scope))
                throw new ConfigException($"{sourceName}: principle '{p.Name}' has scope '{p.Scope}'; use global, domain, task or agent");
            principles.Add(new Principle
            {
                Name = p.Name.Trim(),
                Description = p.Description?.Trim() ?? "",
                Magnitude = p.Magnitude ?? 0.5,
                Scope = scope,
                Target = p.Target,
                Tags = p.Tags ?? [],
            });
        }
        var defaults = new Persona();
        var persona = file.Persona is null ? defaults : new Persona
        {
            Voice = file.Persona.Voice ?? defaults.Voice,
            Tone = file.Persona.Tone ?? defaults.Tone,
            StyleRules = file.Persona.StyleRules ?? [],
            Values = file.Persona.Values ?? [],
        };
        return new IdentityDocument { Persona = persona, Principles = principles };
    }

    private sealed class IdentityFile
    {
        public PersonaFile? Persona { get; set; }
        public List<PrincipleFile>? Principles { get; set; }
    }

    private sealed class PersonaFile
    {
        public string? Voice { get; set; }
        public string? Tone { get; set; }
        public List<string>? StyleRules { get; set; }
        public List<string>? Values { get; set; }
    }

    private sealed class PrincipleFile
    {
        public string? Name { get; set; }
        public string? Description { get; set; }
        public double? Magnitude { get; set; }
        public string? Scope { get; set; }
        public string? Target { get; set; }
        public List<string>? Tags { get; set; }
    }
}
