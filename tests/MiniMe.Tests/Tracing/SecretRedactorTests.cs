using System.Text.Json.Nodes;
using MiniMe.Tracing;

namespace MiniMe.Tests.Tracing;

public class SecretRedactorTests
{
    private const string Mask = SecretRedactor.Mask;

    /// <summary>(format, text, the secret that must vanish, text that must stay readable).</summary>
    public static TheoryData<string, string, string, string> Positives => new()
    {
        { "github fine-grained pat", "token github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", "github_pat_11ABCDEFG", "token " },
        { "github pat", "export GH=ghp_abcdefghijklmnopqrstuvwxyz0123456789", "ghp_abcdefghij", "export GH=" },
        { "github oauth", "oauth gho_16C7e42F292c6912E7710c838347Ae178B4a", "gho_16C7e42F", "oauth " },
        { "github app token", "ghs_16C7e42F292c6912E7710c838347Ae178B4a in the log", "ghs_16C7e42F", " in the log" },
        { "github refresh token", "ghr_1B4a2e77838347a7E420ce178F2E7c6912E169246c34E1ccbF66C46812d16D5B1A9Dc86A1498", "ghr_1B4a2e778", "" },
        { "gitlab pat", "CI_TOKEN=glpat-xR9vK2mQ7pL4tW8nZ3bY", "glpat-xR9vK2", "CI_TOKEN=" },
        { "slack bot token", "slack: xoxb-123456789012-1234567890123-abcdefghijklmnopqrstuvwx", "xoxb-1234567890", "slack: " },
        { "slack user token", "xoxp-123456789012-123456789012-123456789012-abcdef0123456789abcdef0123456789", "xoxp-1234567890", "" },
        { "slack webhook", "POST https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX", "T00000000/B00000000", "https://hooks.slack.com/" },
        { "stripe live secret key", "stripe.api_key = sk_live_4eC39HqLyjWDarjtT1zdp7dc", "sk_live_4eC39HqLy", "stripe.api_key = " },
        { "stripe restricted key", "rk_live_51H8aBcDeFgHiJkLmNoPqRsTuV", "rk_live_51H8aBcD", "" },
        { "stripe test key", "STRIPE=sk_test_51H8aBcDeFgHiJkLmNoPqRsTuV", "sk_test_51H8aBcD", "STRIPE=" },
        { "google api key", "maps key AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY here", "AIzaSyD-9tSrke72", "maps key " },
        { "gcp service account json", "{\"type\": \"service_account\", \"private_key\": \"-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\\n-----END PRIVATE KEY-----\\n\", \"client_email\": \"bot@p.iam.gserviceaccount.com\"}", "MIIEvQIBADANBgkqhkiG9w0", "\"client_email\": \"bot@p.iam.gserviceaccount.com\"" },
        { "openai legacy key", "OPENAI_API_KEY=sk-abcdefghijklmnopqrstuvwx1234", "sk-abcdefghijklmnop", "OPENAI_API_KEY=" },
        { "openai project key", "using sk-proj-AbC123dEf456GhI789jKl012MnO345pQr678 now", "sk-proj-AbC123dEf456", "using " },
        { "anthropic key", "x-api-key: sk-ant-api03-AbC123dEf456GhI789jKl012MnO345pQr678-_xyz", "sk-ant-api03-AbC123", "x-api-key: " },
        { "npm token", "//registry.npmjs.org/:_authToken=npm_abcdefghijklmnopqrstuvwxyz0123456789", "npm_abcdefghijklmnop", "//registry.npmjs.org/:_authToken=" },
        { "pypi token", "password = pypi-AgEIcHlwaS5vcmcCJGE0ZjE4ZDU1LTk2ZjQtNGNmMi05NzU1LTk4NjY5MDY0ZjQ2ZAACKlsz", "pypi-AgEIcHlwaS5vcmcCJGE0", "password = " },
        { "sendgrid key", "SG.abcdefghijklmnopqrstuv.abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "SG.abcdefghijklmnop", "" },
        { "twilio api key", "twilio SK0123456789abcdef0123456789abcdef", "SK0123456789abcdef", "twilio " },
        { "twilio auth token", "TWILIO_AUTH_TOKEN=4f9a8c7e6d5b4a39281706f5e4d3c2b1", "4f9a8c7e6d5b4a39", "TWILIO_AUTH_TOKEN=" },
        { "azure storage account key", "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmE9PQ==;EndpointSuffix=core.windows.net", "Zm9vYmFyYmF6cXV4", "AccountName=acct;AccountKey=" },
        { "aws access key id", "aws_access_key_id = AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE", "aws_access_key_id = " },
        { "aws secret access key (config)", "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI/K7MDENG", "aws_secret_access_key = " },
        { "aws secret access key (prose)", "The AWS secret key is wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY for prod.", "wJalrXUtnFEMI/K7MDENG", "The AWS secret key is " },
        { "jwt", "cookie eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c", "eyJzdWIiOiIxMjM0NTY3", "cookie " },
        { "rsa private key", "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n-----END RSA PRIVATE KEY-----\nafter", "MIIEowIBAAKCAQEAu1SU1", "\nafter" },
        { "openssh private key", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAAB\n-----END OPENSSH PRIVATE KEY-----", "b3BlbnNzaC1rZXktdjE", "" },
        { "pgp private key block", "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBF0JX3cBCADcQ7Nb8m\n-----END PGP PRIVATE KEY BLOCK-----", "lQOYBF0JX3cBCADcQ7Nb8m", "" },
        { "clipped private key", "key: -----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIIrYSSNQFaA2Hwf1duRSxKtLYX5CB04fSeQ6tF1aY/PuoAoGCCqGSM49…(3000 chars)", "MHcCAQEEIIrYSSNQFaA2", "key: " },
        { "postgres url", "DATABASE_URL=postgres://app:s3cretPass@db.example.com:5432/app", "s3cretPass", "postgres://app:" },
        { "redis url, no user", "redis://:p4ssw0rd@cache:6379/0", "p4ssw0rd", "@cache:6379/0" },
        { "https url with credentials", "git clone https://user:hunter2hunter2@git.example.com/repo.git", "hunter2hunter2", "https://user:" },
        { "authorization basic", "Authorization: Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA", "Authorization: Basic " },
        { "authorization bearer", "curl -H \"Authorization: Bearer abcdefghijklmnopqrstuvwxyz012345\"", "abcdefghijklmnopqrstuvwxyz", "Authorization: Bearer " },
        { "authorization token", "-H 'Authorization: token 0123456789abcdef0123'", "0123456789abcdef0123", "Authorization: token " },
        { "postgres connection string", "Host=db;Username=app;Password=my secret pw;Database=minime", "my secret pw", "Host=db;Username=app;Password=" },
        { "sql server connection string", "Server=tcp:x.database.windows.net;User Id=sa;Pwd=Tr0ub4dor&3;Encrypt=true", "Tr0ub4dor&3", "Pwd=" },
        { "password= env", "DB_PASSWORD=hunter2", "hunter2", "DB_PASSWORD=" },
        { "password in code", "var conn = Connect(user, password=\"hunter2\");", "hunter2", "password=\"" },
        { "API_KEY in code", "API_KEY = \"a1b2c3d4e5f6\"", "a1b2c3d4e5f6", "API_KEY = \"" },
        { "json password", "{\"user\": \"ann\", \"password\": \"correct horse\"}", "correct horse", "\"password\": \"" },
        { "escaped json secret", "{\\\"client_secret\\\":\\\"Qm9vZ2llV29vZ2ll\\\"}", "Qm9vZ2llV29vZ2ll", "client_secret" },
        { "yaml secret", "db:\n  passwd: Tr0ub4dor\n  host: db", "Tr0ub4dor", "  passwd: " },
        { "yaml client secret", "client_secret: 'c1i3nt-s3cr3t'", "c1i3nt-s3cr3t", "client_secret: '" },
        { "env token", "export SLACK_SIGNING_SECRET=8f742231b10e8888abcd99yyyzzz85a5", "8f742231b10e8888abcd99yyyzzz85a5", "export SLACK_SIGNING_SECRET=" },
        { "private_key value", "private_key=\"k3y-m4t3ri4l\"", "k3y-m4t3ri4l", "private_key=\"" },
        { "access_key value", "access_key: ZXhhbXBsZWtleQ", "ZXhhbXBsZWtleQ", "access_key: " },
        { "high-entropy value after a keyword", "\"auth_header_value\": \"Zx9Qm2Lp7Vt4Rk8Wn3Yb\"", "Zx9Qm2Lp7Vt4Rk8Wn3Yb", "\"auth_header_value\": \"" },
        { "minime server key", "curl -H 'X-Key: mm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-AbCdE'", "mm_AbCdEfGhIjKlMnOpQrSt", "curl -H 'X-Key: " },
        { "huggingface token", "HF hf_AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEfGh", "hf_AbCdEfGhIjKlMnOp", "HF " },
    };

    [Theory]
    [MemberData(nameof(Positives))]
    public void Secrets_of_every_format_are_masked_and_the_context_stays_readable(string format, string text, string secret, string kept)
    {
        var redacted = SecretRedactor.RedactText(text);
        Assert.False(redacted.Contains(secret, StringComparison.Ordinal), $"{format}: '{secret}' survived in: {redacted}");
        Assert.Contains(Mask, redacted, StringComparison.Ordinal);
        Assert.Contains(kept, redacted, StringComparison.Ordinal);
    }

    [Fact]
    public void The_positive_table_covers_at_least_thirty_cases_of_fifteen_formats()
    {
        var formats = Positives.Select(row => ((string)row[0]).Split(' ')[0]).Distinct().Count();
        Assert.True(Positives.Count() >= 30, $"{Positives.Count()} positives");
        Assert.True(formats >= 15, $"{formats} formats");
    }

    [Theory]
    [InlineData("content_hash: 9f86d081884c7d659a2feaade0c15b0f65a1a2b0d08a8b1e8b8e1f2c9a4b5c6d")]
    [InlineData("{\"key\": \"9f86d081884c7d659a2feaade0c15b0f65a1a2b0d08a8b1e8b8e1f2c9a4b5c6d\"}")]
    [InlineData("sha1 da39a3ee5e6b4b0d3255bfef95601890afd80709 and md5 d41d8cd98f00b204e9800998ecf8427e")]
    [InlineData("run 20261123-091502-3fa9c1 finished")]
    [InlineData("{\"run_id\": \"20261123-091502-3fa9c1\", \"request_key\": \"20261123-091502-3fa9c1\"}")]
    [InlineData("id 3f2504e0-4f89-11d3-9a0c-0305e82c3301")]
    [InlineData("\"cache_key\": \"3f2504e0-4f89-11d3-9a0c-0305e82c3301\"")]
    [InlineData("/home/user/projects/minime/src/MiniMe.Core/Tracing/SecretRedactor.cs")]
    [InlineData("\"key_path\": \"/home/user/.config/minime/keys/service.json\"")]
    [InlineData("C:\\Users\\ann\\source\\repos\\MiniMe\\src\\Program.cs")]
    [InlineData("var hasher = new PasswordHasher(); passwordHasher.Hash(input);")]
    [InlineData("var token = GetToken();")]
    [InlineData("var apiKey = Environment.GetEnvironmentVariable(\"API_KEY\");")]
    [InlineData("options.Password = config[\"Db:Password\"];")]
    [InlineData("password = settings.Database.Password")]
    [InlineData("if (password == null) return;")]
    [InlineData("db = connect(host, password=db_password)")]
    [InlineData("payload = {\"password\": user_password}")]
    [InlineData("const token = req.headers.authorization;")]
    [InlineData("password: z.string().min(8)")]
    [InlineData("password: string;")]
    [InlineData("token_count: 42")]
    [InlineData("\"prompt_tokens\": 1200, \"max_tokens\": 4096")]
    [InlineData("token: 42")]
    [InlineData("password: \"\"")]
    [InlineData("pwd=abc")]
    [InlineData("password=[REDACTED]")]
    [InlineData("\"api_key\": \"[REDACTED]\"")]
    [InlineData("Authorization: Bearer [REDACTED]")]
    [InlineData("[REDACTED]")]
    [InlineData("api_key: ${API_KEY}")]
    [InlineData("password: <your-password>")]
    [InlineData("secret: {{ .Values.secret }}")]
    [InlineData("password=********")]
    [InlineData("authorization: required")]
    [InlineData("PWD=/home/user/project")]
    [InlineData("the bearer of this letter")]
    [InlineData("secret_name: prod-db")]
    [InlineData("\"key\": \"MiniMe.Core.Tracing.SecretRedactor\"")]
    [InlineData("cache_key = \"user:1234:profile\"")]
    [InlineData("\"access_time\": \"2026-11-23T09:15:02.123Z\"")]
    [InlineData("https://github.com/org/repo.git and git@github.com:org/repo.git")]
    [InlineData("http://[::1]:8080/health")]
    [InlineData("task-abcdefghijklmnopqrstuvwxyz is a kebab-case-identifier-with-many-words")]
    [InlineData("LANG=en_US.UTF-8")]
    [InlineData("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/root/.dotnet/tools")]
    [InlineData("DOTNET_ROOT=/usr/share/dotnet")]
    [InlineData("retrieval returned 8 chunks (bm25 12.4, cosine 0.82) for 'token budget'")]
    public void Ordinary_trace_content_is_left_alone(string text) =>
        Assert.Equal(text, SecretRedactor.RedactText(text));

    [Fact]
    public void Text_without_secrets_comes_back_as_the_same_instance()
    {
        var text = "nothing to see here: " + new string('x', 100);
        Assert.Same(text, SecretRedactor.RedactText(text));
    }

    [Fact]
    public void Redacting_twice_changes_nothing_more()
    {
        var once = SecretRedactor.RedactText("password=hunter2 and ghp_abcdefghijklmnopqrstuvwxyz0123456789, url https://u:p4ss@h/x");
        Assert.Equal(once, SecretRedactor.RedactText(once));
    }

    public static TheoryData<string, string> Adversarial => new()
    {
        { "word characters", new string('a', 1 << 20) },
        { "keyword and operator", string.Concat(Enumerable.Repeat("password=", 120_000)) },
        { "keyword, short value, no semicolon", string.Concat(Enumerable.Repeat("password=a ", 100_000)) },
        { "aws keywords", string.Concat(Enumerable.Repeat("aws secret key ", 70_000)) },
        { "unterminated PEM headers", string.Concat(Enumerable.Repeat("-----BEGIN RSA PRIVATE KEY-----", 34_000)) },
        { "PEM END lines without a key", "-----BEGIN PRIVATE KEY-----" + string.Concat(Enumerable.Repeat("-----END ", 116_000)) },
        { "url fragments", string.Concat(Enumerable.Repeat("a://b:c", 150_000)) },
        { "JWT-like segments", string.Concat(Enumerable.Repeat("eyJaaaaaaaaaaaa.", 65_000)) },
        { "keyword prefixes", string.Concat(Enumerable.Repeat("token_", 175_000)) + "=x" },
        { "authorization headers", string.Concat(Enumerable.Repeat("Authorization: ", 70_000)) },
        { "unclosed quotes", string.Concat(Enumerable.Repeat("key=\"", 210_000)) },
        { "connection-string keys", string.Concat(Enumerable.Repeat("Pwd=x y z ", 105_000)) },
    };

    [Theory]
    [MemberData(nameof(Adversarial))]
    public void A_megabyte_of_hostile_input_is_redacted_in_one_linear_pass(string shape, string text)
    {
        Assert.True(text.Length >= 1_000_000, shape);
        var redacted = SecretRedactor.RedactText(text);
        Assert.True(redacted.Length <= text.Length + Mask.Length, shape);
    }

    [Fact]
    public void A_secret_anywhere_in_a_json_tree_is_masked_names_included()
    {
        var tree = new JsonObject
        {
            ["api_key"] = 12345,
            ["nested"] = new JsonObject { ["deeper"] = new JsonArray("ok", "DB_PASSWORD=hunter2", new JsonObject { ["client_secret"] = "x" }) },
            ["ghp_abcdefghijklmnopqrstuvwxyz0123456789"] = "a token used as a property name",
            ["tokens"] = 42,
        };
        var text = SecretRedactor.Redact(tree)!.ToJsonString();
        Assert.DoesNotContain("12345", text, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", text, StringComparison.Ordinal);
        Assert.DoesNotContain("ghp_", text, StringComparison.Ordinal);
        Assert.Contains("\"client_secret\":\"[REDACTED]\"", text, StringComparison.Ordinal);
        Assert.Contains("a token used as a property name", text, StringComparison.Ordinal);
        Assert.Contains("\"tokens\":42", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("api_key", true)]
    [InlineData("X-Api-Key", true)]
    [InlineData("db_password", true)]
    [InlineData("passwd", true)]
    [InlineData("client_secret", true)]
    [InlineData("refresh_token", true)]
    [InlineData("aws_secret_access_key", true)]
    [InlineData("GOOGLE_APPLICATION_CREDENTIALS", true)]
    [InlineData("Authorization", true)]
    [InlineData("ConnectionString", true)]
    [InlineData("prompt_tokens", false)]
    [InlineData("token_count", false)]
    [InlineData("tokenizer", false)]
    [InlineData("key", false)]
    [InlineData("content_hash", false)]
    [InlineData("PATH", false)]
    [InlineData("LANG", false)]
    public void Secret_key_names_are_recognized(string name, bool secret) =>
        Assert.Equal(secret, SecretRedactor.IsSecretKey(name));

    [Fact]
    public void Entropy_separates_random_values_from_words()
    {
        Assert.True(SecretRedactor.ShannonEntropy("Zx9Qm2Lp7Vt4Rk8Wn3Yb") > SecretRedactor.EntropyThreshold);
        Assert.True(SecretRedactor.ShannonEntropy("aaaaaaaaaaaaaaaa") < 0.01);
        Assert.False(SecretRedactor.LooksRandom("9f86d081884c7d659a2feaade0c15b0f65a1a2b0d08a8b1e8b8e1f2c9a4b5c6d"));
        Assert.False(SecretRedactor.LooksRandom("MiniMe.Core.Tracing"));
    }
}
