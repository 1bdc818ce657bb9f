using System.Text.RegularExpressions;

namespace MiniMe.Tracing;

/// <summary>How a rule's match is confirmed before its value is masked.</summary>
internal enum ValueCheck
{
    /// <summary>The format itself is the proof (a prefix, a fixed length, a PEM armour line).</summary>
    None,
    /// <summary>A keyword names the value a secret; placeholders, references, code and short values are not masked.</summary>
    Keyword,
    /// <summary>A weaker keyword: the value must also look random (length, Shannon entropy, letters and digits).</summary>
    Entropy,
}

/// <summary>
/// One detection rule. When <see cref="Regex"/> has a group named "v" only that group is masked (so
/// "password=" stays readable), else the whole match is.
/// </summary>
internal sealed record SecretRule(string Id, Regex Regex, ValueCheck Check = ValueCheck.None);

/// <summary>
/// The secret formats MiniMe redacts, modelled on gitleaks' default configuration: each rule names
/// the gitleaks rule id it corresponds to, or says that gitleaks has none. The regexes are written
/// here for .NET's source-generated engine and kept linear on hostile input: every rule starts with
/// a literal or a keyword, loops next to each other match disjoint characters (so the engine never
/// backtracks into them), and the few loops that could overlap are bounded.
/// </summary>
internal static partial class SecretRules
{
    private const RegexOptions Options = RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture;

    // A key name ending in one of these names its value a secret, whatever the value looks like.
    private const string StrongKeyword =
        @"(?i:pass(?:word|wd|phrase)|pwd|secret|secret[_.-]?key|token|api[_.-]?key|access[_.-]?key|private[_.-]?key|" +
        @"account[_.-]?key|auth[_.-]?key|credentials?)";

    // gitleaks' generic-api-key keywords: the value must also pass the entropy check.
    private const string WeakKeyword = @"(?i:access|auth|api|credential|creds|key|passw(?:or)?d|secret|token)";

    // The closing quote of a JSON or YAML key (also JSON-escaped), then the assignment: = : == := =>.
    private const string KeyQuote = @"(?:\\?[""'])?";
    private const string Assign = @"[ \t]*(?:=>|[:=]{1,2})[ \t]*";

    // A value: quoted (up to the closing quote, a backslash or the line end) or bare (up to a delimiter).
    private const string Value =
        @"(?:\\?""(?<v>[^""\\\r\n]+)|\\?'(?<v>[^'\\\r\n]+)|`(?<v>[^`\r\n]+)|(?<v>[^\s""'`,;&<>(){}\[\]\\]+))";

    /// <summary>Formats recognized by their shape alone.</summary>
    public static IReadOnlyList<SecretRule> Formats { get; } =
    [
        new("private-key", PrivateKey()),
        new("jwt", Jwt()),
        new("github-fine-grained-pat", GitHubFineGrainedPat()),
        new("github-token", GitHubToken()),
        new("gitlab-token", GitLabToken()),
        new("slack-token", SlackToken()),
        new("slack-app-token", SlackAppToken()),
        new("slack-webhook-url", SlackWebhook()),
        new("stripe-access-token", Stripe()),
        new("gcp-api-key", GcpApiKey()),
        new("gcp-oauth-client-secret", GcpOAuthSecret()),
        new("anthropic-api-key", Anthropic()),
        new("openai-api-key", OpenAi()),
        new("aws-access-token", AwsAccessKeyId()),
        new("aws-secret-access-key", AwsSecretAccessKey()),
        new("npm-access-token", Npm()),
        new("pypi-upload-token", PyPi()),
        new("sendgrid-api-token", SendGrid()),
        new("twilio-api-key", Twilio()),
        new("huggingface-access-token", HuggingFace()),
        new("digitalocean-token", DigitalOcean()),
        new("shopify-token", Shopify()),
        new("databricks-api-token", Databricks()),
        new("minime-api-key", MiniMeApiKey()),
        new("url-credentials", UrlCredentials()),
        new("bearer-token", Bearer()),
    ];

    /// <summary>Rules that need a keyword before the value; each match is checked before it is masked.</summary>
    public static IReadOnlyList<SecretRule> Contexts { get; } =
    [
        new("connection-string-password", ConnectionStringPassword(), ValueCheck.Keyword),
        new("authorization-header", AuthorizationHeader(), ValueCheck.Keyword),
        new("keyword-value", KeywordValue(), ValueCheck.Keyword),
        new("generic-api-key", GenericApiKey(), ValueCheck.Entropy),
    ];

    public static IEnumerable<SecretRule> All => Formats.Concat(Contexts);

    // gitleaks: private-key. RSA, EC, DSA, OPENSSH, ENCRYPTED, PGP "... PRIVATE KEY BLOCK"; literal or
    // JSON-escaped newlines (GCP service-account JSON). A block cut off before its END line (a clipped
    // trace string) is masked to the end of the text.
    [GeneratedRegex(@"-----BEGIN[ A-Z0-9]{0,40}PRIVATE KEY(?: BLOCK)?-----(?:[\s\S]*?-----END[ A-Z0-9]{0,40}PRIVATE KEY(?: BLOCK)?-----|[\s\S]*)", Options)]
    private static partial Regex PrivateKey();

    // gitleaks: jwt (header.payload.signature; the signature may be empty for alg "none").
    [GeneratedRegex(@"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]*", Options)]
    private static partial Regex Jwt();

    // gitleaks: github-fine-grained-pat.
    [GeneratedRegex(@"\bgithub_pat_[A-Za-z0-9_]{22,}", Options)]
    private static partial Regex GitHubFineGrainedPat();

    // gitleaks: github-pat (ghp_), github-oauth (gho_), github-app-token (ghu_, ghs_), github-refresh-token (ghr_).
    [GeneratedRegex(@"\bgh[pousr]_[A-Za-z0-9]{20,}", Options)]
    private static partial Regex GitHubToken();

    // gitleaks: gitlab-pat (glpat-), gitlab-ptt, gitlab-deploy-token (gldt-), gitlab-runner-authentication-token (glrt-), gitlab-cicd-job-token, gitlab-scim-token.
    [GeneratedRegex(@"\bgl(?:pat|ptt|dt|rt|soat|cbt)-[A-Za-z0-9_-]{20,}", Options)]
    private static partial Regex GitLabToken();

    // gitleaks: slack-bot-token, slack-user-token, slack-legacy-*-token (xoxa, xoxb, xoxp, xoxo, xoxs, xoxr).
    [GeneratedRegex(@"\bxox[abposr]-[A-Za-z0-9-]{10,}", Options)]
    private static partial Regex SlackToken();

    // gitleaks: slack-app-token.
    [GeneratedRegex(@"\bxapp-[0-9]-[A-Za-z0-9-]{10,}", Options)]
    private static partial Regex SlackAppToken();

    // gitleaks: slack-webhook-url (the host stays readable, the path is the secret).
    [GeneratedRegex(@"hooks\.slack\.com/(?<v>(?:services|workflows|triggers)/[A-Za-z0-9+/_-]{20,})", Options)]
    private static partial Regex SlackWebhook();

    // gitleaks: stripe-access-token (secret and restricted keys, live and test).
    [GeneratedRegex(@"\b(?:sk|rk)_(?:live|test|prod)_[A-Za-z0-9]{10,}", Options)]
    private static partial Regex Stripe();

    // gitleaks: gcp-api-key.
    [GeneratedRegex(@"\bAIza[A-Za-z0-9_-]{35}", Options)]
    private static partial Regex GcpApiKey();

    // gitleaks: no rule id; Google OAuth client secrets.
    [GeneratedRegex(@"\bGOCSPX-[A-Za-z0-9_-]{28}", Options)]
    private static partial Regex GcpOAuthSecret();

    // gitleaks: anthropic-api-key, anthropic-admin-api-key.
    [GeneratedRegex(@"\bsk-ant-[A-Za-z0-9_-]{20,}", Options)]
    private static partial Regex Anthropic();

    // gitleaks: openai-api-key (legacy sk-..., sk-proj-, sk-svcacct-, sk-admin-).
    [GeneratedRegex(@"\bsk-[A-Za-z0-9_-]{20,}", Options)]
    private static partial Regex OpenAi();

    // gitleaks: aws-access-token (access key ids: AKIA, ASIA, ABIA, ACCA, A3T*).
    [GeneratedRegex(@"\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b", Options)]
    private static partial Regex AwsAccessKeyId();

    // gitleaks: no v8 rule id (v7 had "AWS Secret Key"): 40 base64 characters a few words after
    // "aws ... secret/key", in code, config or prose ("the AWS secret key is ..."). All three gaps are bounded.
    [GeneratedRegex(@"(?i:aws)[A-Za-z0-9_ \t.-]{0,20}?(?i:secret|key)[A-Za-z0-9_ \t.:=""'>-]{0,20}?[ \t:=""'>](?<v>[A-Za-z0-9/+]{40})", Options)]
    private static partial Regex AwsSecretAccessKey();

    // gitleaks: npm-access-token.
    [GeneratedRegex(@"\bnpm_[A-Za-z0-9]{36}\b", Options)]
    private static partial Regex Npm();

    // gitleaks: pypi-upload-token.
    [GeneratedRegex(@"\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}", Options)]
    private static partial Regex PyPi();

    // gitleaks: sendgrid-api-token.
    [GeneratedRegex(@"\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}", Options)]
    private static partial Regex SendGrid();

    // gitleaks: twilio-api-key.
    [GeneratedRegex(@"\bSK[0-9a-fA-F]{32}\b", Options)]
    private static partial Regex Twilio();

    // gitleaks: huggingface-access-token.
    [GeneratedRegex(@"\bhf_[A-Za-z0-9]{34,}", Options)]
    private static partial Regex HuggingFace();

    // gitleaks: digitalocean-pat, digitalocean-access-token, digitalocean-refresh-token.
    [GeneratedRegex(@"\bdo[opr]_v1_[a-f0-9]{64}", Options)]
    private static partial Regex DigitalOcean();

    // gitleaks: shopify-access-token, shopify-custom-access-token, shopify-private-app-access-token, shopify-shared-secret.
    [GeneratedRegex(@"\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}", Options)]
    private static partial Regex Shopify();

    // gitleaks: databricks-api-token.
    [GeneratedRegex(@"\bdapi[a-f0-9]{32}", Options)]
    private static partial Regex Databricks();

    // gitleaks: no rule id; MiniMe's own server API keys ("mm_" + base64url of 32 bytes, see ApiKeyStore).
    [GeneratedRegex(@"\bmm_[A-Za-z0-9_-]{43}", Options)]
    private static partial Regex MiniMeApiKey();

    // gitleaks: no rule id (detect-secrets' BasicAuthDetector): scheme://user:password@host, the password only.
    [GeneratedRegex(@"://[^\s/?#@:""'<>]*:(?<v>[^\s/?#@""'<>]+)@", Options)]
    private static partial Regex UrlCredentials();

    // gitleaks: no rule id; a bearer token anywhere ("Bearer" stays readable).
    [GeneratedRegex(@"\b(?i:bearer)[ \t]+(?<v>[A-Za-z0-9._~+/-]{16,}=*)", Options)]
    private static partial Regex Bearer();

    // gitleaks: no rule id (azure-storage-account-key covers a part); connection strings: Npgsql and
    // ADO.NET "Password=...;", "Pwd=...;", Azure "AccountKey=...;", "SharedAccessKey=...;". A value may
    // hold spaces up to the ';' that ends it (bounded, so a missing ';' cannot make the scan quadratic;
    // trailing spaces are left out of the mask).
    [GeneratedRegex(@"(?i:password|pwd|account ?key|shared ?access ?key)[ \t]*=[ \t]*(?<v>[^;\r\n""'=\s][^;\r\n""']{0,200});", Options)]
    private static partial Regex ConnectionStringPassword();

    // gitleaks: no rule id; Authorization and Proxy-Authorization headers with any scheme (Basic, Bearer, Token, Digest, ...).
    [GeneratedRegex(@"(?i:authorization)" + KeyQuote + @"[ \t]*[:=][ \t]*(?:\\?[""'])?(?:(?i:basic|bearer|token|digest|negotiate|apikey)[ \t]+)?(?<v>[^\s""'\\,;]+)", Options)]
    private static partial Regex AuthorizationHeader();

    // gitleaks: generic-api-key without its entropy filter, for keys that say "secret": password=,
    // passwd:, API_KEY="...", client_secret: ..., "token": "...", in env files, YAML, JSON and code.
    [GeneratedRegex(StrongKeyword + KeyQuote + Assign + Value, Options)]
    private static partial Regex KeywordValue();

    // gitleaks: generic-api-key (a keyword in the key name, a value of 16+ characters, entropy of at least 3.5).
    [GeneratedRegex(WeakKeyword + @"[A-Za-z0-9_.-]{0,20}" + KeyQuote + Assign + @"(?:\\?[""'`])?(?<v>[A-Za-z0-9_.=+/~-]{16,})", Options)]
    private static partial Regex GenericApiKey();
}
