using MiniMe.Tracing;

namespace MiniMe.Agents.Constraints;

/// <summary>
/// secret.&lt;format&gt;: a line the change introduces holds a secret literal. The formats are the trace
/// redactor's (<see cref="SecretRules"/>, modelled on gitleaks): private key blocks, JWTs, AWS
/// AKIA/ASIA ids and secret keys, GitHub ghp_/gho_/github_pat_, Slack xox*, OpenAI/Anthropic/Stripe/GCP
/// keys, credentials in URLs, connection-string passwords, and keyword assignments
/// (password = "...", API_KEY=..., secret:/token: in YAML, JSON and .env files). Not secrets: empty or
/// short values, references and code (${VAR}, %VAR%, {{ .Values.x }}, os.environ["P"],
/// Environment.GetEnvironmentVariable(...), config["x"], process.env.X), angle-bracket and other
/// obvious placeholders (&lt;your-key&gt;, changeme, your-api-key-here, example, dummy, xxxx, ****).
/// Blocking; attributed to the security principle when there is one. Removed lines of a patch are not
/// checked.
/// </summary>
public sealed class HardCodedSecretsRule : IConstraintRule
{
    private static readonly string[] PlaceholderWords =
        ["changeme", "change-me", "change_me", "replaceme", "replace-me", "replace_me", "your-", "your_", "yourkey", "yoursecret",
         "example", "placeholder", "dummy", "sample", "fake", "redacted", "xxx", "..."];

    public string Id => "secret";

    public IEnumerable<Violation> Check(IReadOnlyList<ProposedChange> changes, ConstraintContext context)
    {
        var rule = context.Security?.Principle.Name ?? StaticCritic.SecretsRule;
        foreach (var change in changes)
            foreach (var line in change.AddedLines())
            {
                var format = FirstSecret(line.Text);
                if (format is null) continue;
                var where = change.Kind == ChangeKind.Command ? "command" : $"line {line.Number}";
                yield return ConstraintRules.Finding(rule, $"{Id}.{format}", $"{where} holds what looks like a hard-coded secret ({format}); read it from the environment or a secret store instead",
                    change.Location, change.Kind == ChangeKind.Command ? null : line.Number);
            }
    }

    /// <summary>The id of the first secret format found in <paramref name="text"/>, or null.</summary>
    public static string? FirstSecret(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0) return null;
        var assigns = text.AsSpan().IndexOfAny('=', ':') >= 0;
        foreach (var rule in SecretRules.All)
        {
            if (rule.Check != ValueCheck.None && !assigns) continue;
            for (var match = rule.Regex.Match(text); match.Success; match = match.NextMatch())
            {
                var value = match.Groups["v"];
                if (rule.Check != ValueCheck.None && !(value.Success && SecretRedactor.IsSecretValue(rule, text, value))) continue;
                if (rule.Check != ValueCheck.None && IsPlaceholder(value.Value)) continue;
                return rule.Id;
            }
        }
        return null;
    }

    /// <summary>An obvious stand-in for a secret: changeme, your-api-key-here, example-token, xxxx, ...</summary>
    public static bool IsPlaceholder(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var v = value.Trim().ToLowerInvariant();
        return v.Length == 0 || PlaceholderWords.Any(w => v.Contains(w, StringComparison.Ordinal));
    }
}
