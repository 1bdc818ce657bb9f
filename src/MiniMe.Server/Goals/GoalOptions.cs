using Microsoft.Extensions.Options;
using MiniMe.Configuration;

namespace MiniMe.Server.Goals;

/// <summary>The goals section of config.yaml (goals: ...), overridable with MINIME_GOALS__*.</summary>
public sealed class GoalOptions
{
    public const string Section = "goals";

    /// <summary>Active goals due within this many days (or overdue) are deadline alerts; 0: due today or overdue only.</summary>
    public int AlertDays { get; set; } = 7;

    /// <summary>Binds the goals section and checks it; a bad value fails with where it was set.</summary>
    public static GoalOptions Load(Workspace workspace, IEnumerable<KeyValuePair<string, string?>>? overrides = null)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        return ConfigurationLoader.LoadSection(workspace, Section, new GoalOptionsValidator(), overrides);
    }
}

public sealed class GoalOptionsValidator : IValidateOptions<GoalOptions>
{
    public ValidateOptionsResult Validate(string? name, GoalOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.AlertDays < 0
            ? ValidateOptionsResult.Fail("goals.alertDays must not be negative")
            : ValidateOptionsResult.Success;
    }
}
