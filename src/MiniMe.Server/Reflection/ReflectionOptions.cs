using Microsoft.Extensions.Options;
using MiniMe.Configuration;
using MiniMe.Reflection;

namespace MiniMe.Server.Reflection;

/// <summary>The reflect section of config.yaml (reflect: ...), overridable with MINIME_REFLECT__*.</summary>
public sealed class ReflectionOptions
{
    public const string Section = "reflect";

    /// <summary>The panel of `minime reflect` and POST /v1/reflect when none is named: comma-separated built-in perspectives.</summary>
    public string Perspectives { get; set; } = MiniMe.Reflection.Perspectives.DefaultNames;

    /// <summary>true: the disagreement index includes the cosine distance of the assessments' embeddings (when embeddings.model is on); false: never.</summary>
    public bool Embeddings { get; set; } = true;

    /// <summary>Binds the reflect section and checks it; a bad value fails with where it was set.</summary>
    public static ReflectionOptions Load(Workspace workspace, IEnumerable<KeyValuePair<string, string?>>? overrides = null)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        return ConfigurationLoader.LoadSection(workspace, Section, new ReflectionOptionsValidator(), overrides);
    }
}

/// <summary>reflect.perspectives names at least one perspective, each a built-in one.</summary>
public sealed class ReflectionOptionsValidator : IValidateOptions<ReflectionOptions>
{
    public ValidateOptionsResult Validate(string? name, ReflectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.Perspectives))
            return ValidateOptionsResult.Fail($"reflect.perspectives is empty; name some of {string.Join(", ", Perspectives.Names)}");
        try
        {
            Perspectives.Parse(options.Perspectives, "reflect.perspectives");
            return ValidateOptionsResult.Success;
        }
        catch (InvalidInputException e)
        {
            return ValidateOptionsResult.Fail(e.Message.TrimEnd('.'));
        }
    }
}
