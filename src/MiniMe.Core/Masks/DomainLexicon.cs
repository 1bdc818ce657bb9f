using System.Collections.Frozen;

namespace MiniMe.Masks;

/// <summary>
/// Weighted keywords per domain. 1.0 = distinctive for the domain, ~0.7 = typical, ~0.4 = weak or
/// shared with other domains. Multi-word terms are matched as consecutive words.
/// </summary>
internal static class DomainLexicon
{
    public static IReadOnlyDictionary<string, IReadOnlyList<(string Term, double Weight)>> Terms { get; } =
        new Dictionary<string, IReadOnlyList<(string, double)>>
        {
            [Domains.Backend] =
            [
                ("backend", 1.0), ("api", 0.7), ("endpoint", 1.0), ("grpc", 1.0), ("graphql", 0.6),
                ("server", 0.7), ("controller", 0.8), ("middleware", 0.9), ("handler", 0.6), ("route", 0.5),
                ("request", 0.5), ("response", 0.5), ("http", 0.6), ("microservice", 1.0), ("service", 0.5),
                ("queue", 0.7), ("kafka", 0.7), ("rabbitmq", 0.9), ("redis", 0.7), ("cache", 0.6),
                ("orm", 0.8), ("entity framework", 0.9), ("efcore", 0.9), ("repository", 0.4),
                ("transaction", 0.6), ("webhook", 0.8), ("rate limit", 0.8), ("rate limiter", 0.8),
                ("latency", 0.5), ("throughput", 0.5), ("async", 0.5), ("aspnet", 0.9), ("asp net", 0.9),
                ("django", 0.8), ("flask", 0.8), ("fastapi", 0.9), ("express", 0.5), ("nodejs", 0.6),
                ("websocket", 0.7), ("pagination", 0.6), ("idempotent", 0.8), ("payload", 0.5),
                ("rest", 0.3), ("json", 0.4), ("status code", 0.7), ("dependency injection", 0.7),
            ],
            [Domains.Frontend] =
            [
                ("frontend", 1.0), ("ui", 0.9), ("ux", 0.8), ("react", 1.0), ("vue", 1.0), ("angular", 1.0),
                ("svelte", 1.0), ("component", 0.7), ("css", 1.0), ("html", 0.9), ("dom", 0.9),
                ("browser", 0.8), ("button", 0.9), ("layout", 0.7), ("responsive", 0.8), ("tailwind", 1.0),
                ("jsx", 1.0), ("tsx", 1.0), ("redux", 1.0), ("modal", 0.9), ("form", 0.5),
                ("accessibility", 0.9), ("a11y", 1.0), ("render", 0.6), ("animation", 0.8),
                ("typescript", 0.5), ("javascript", 0.5), ("webpack", 0.8), ("vite", 0.9), ("nextjs", 1.0),
                ("page", 0.4), ("style", 0.4), ("theme", 0.6), ("dark mode", 1.0), ("font", 0.8),
                ("click", 0.7), ("dropdown", 1.0), ("navbar", 1.0), ("sidebar", 0.8), ("viewport", 0.9),
                ("blazor", 0.9), ("tooltip", 1.0), ("usestate", 1.0), ("useeffect", 1.0), ("pixel", 0.7),
            ],
            [Domains.Data] =
            [
                ("data", 0.5), ("etl", 1.0), ("pipeline", 0.4), ("warehouse", 0.9), ("spark", 1.0),
                ("airflow", 1.0), ("dbt", 1.0), ("sql", 0.6), ("query", 0.6), ("schema", 0.6),
                ("table", 0.5), ("column", 0.8), ("index", 0.6), ("migration", 0.7), ("join", 0.6),
                ("parquet", 1.0), ("csv", 0.8), ("analytics", 0.8), ("aggregate", 0.7), ("partition", 0.8),
                ("bigquery", 1.0), ("snowflake", 1.0), ("postgres", 0.6), ("postgresql", 0.6),
                ("database", 0.7), ("ingestion", 0.9), ("dedupe", 0.8), ("deduplicate", 0.8),
                ("backfill", 1.0), ("replication", 0.7), ("shard", 0.8), ("sharding", 0.8),
                ("stored procedure", 0.9), ("foreign key", 0.9), ("primary key", 0.9), ("olap", 1.0),
                ("sqlite", 0.7), ("mongodb", 0.7), ("nosql", 0.8), ("denormalize", 0.8), ("row", 0.5),
                ("data model", 0.8), ("report", 0.3),
            ],
            [Domains.DevOps] =
            [
                ("devops", 1.0), ("deploy", 0.9), ("deployment", 0.9), ("ci", 0.8), ("cd", 0.3),
                ("pipeline", 0.5), ("docker", 1.0), ("dockerfile", 1.0), ("container", 0.8),
                ("kubernetes", 1.0), ("k8s", 1.0), ("helm", 1.0), ("terraform", 1.0), ("ansible", 1.0),
                ("infrastructure", 0.9), ("aws", 0.7), ("azure", 0.7), ("gcp", 0.7), ("cloud", 0.6),
                ("github actions", 1.0), ("workflow", 0.4), ("jenkins", 1.0), ("build", 0.4),
                ("release", 0.6), ("rollback", 0.8), ("monitor", 0.7), ("prometheus", 1.0),
                ("grafana", 1.0), ("alert", 0.7), ("logging", 0.5), ("observability", 1.0), ("nginx", 0.9),
                ("load balancer", 1.0), ("autoscale", 0.9), ("autoscaling", 0.9), ("cluster", 0.6),
                ("provision", 0.9), ("vm", 0.7), ("uptime", 0.8), ("incident", 0.6), ("sre", 1.0),
                ("dns", 0.8), ("canary", 0.9), ("blue green", 0.9), ("downtime", 0.6), ("staging", 0.8),
                ("production", 0.5), ("systemd", 0.9), ("runner", 0.6),
            ],
            [Domains.Security] =
            [
                ("security", 1.0), ("secure", 0.8), ("auth", 0.9), ("authentication", 1.0),
                ("authorization", 1.0), ("oauth", 1.0), ("oidc", 1.0), ("jwt", 1.0), ("token", 0.5),
                ("csrf", 1.0), ("xss", 1.0), ("injection", 0.9), ("secret", 0.8), ("encrypt", 1.0),
                ("encryption", 1.0), ("decrypt", 1.0), ("tls", 1.0), ("ssl", 0.9), ("certificate", 0.8),
                ("password", 0.9), ("hash", 0.5), ("salt", 0.7), ("bcrypt", 1.0), ("vulnerability", 1.0),
                ("cve", 1.0), ("exploit", 1.0), ("sanitize", 0.9), ("permission", 0.7), ("rbac", 1.0),
                ("privilege", 0.9), ("audit", 0.7), ("cors", 0.8), ("saml", 1.0), ("mfa", 1.0), ("2fa", 1.0),
                ("login", 0.6), ("session", 0.5), ("threat", 0.9), ("attack", 0.9), ("pentest", 1.0),
                ("firewall", 0.8), ("credential", 0.9), ("leak", 0.6), ("owasp", 1.0), ("csp", 0.9),
                ("api key", 0.8), ("hmac", 1.0), ("signature", 0.5), ("malicious", 1.0),
            ],
            [Domains.Testing] =
            [
                ("test", 0.8), ("unit test", 1.0), ("integration test", 1.0), ("e2e", 1.0), ("mock", 1.0),
                ("stub", 0.9), ("fixture", 1.0), ("assertion", 1.0), ("assert", 0.9), ("coverage", 0.9),
                ("xunit", 1.0), ("nunit", 1.0), ("junit", 1.0), ("jest", 1.0), ("pytest", 1.0),
                ("mocha", 1.0), ("cypress", 1.0), ("playwright", 1.0), ("selenium", 1.0), ("flaky", 1.0),
                ("regression", 0.6), ("tdd", 1.0), ("snapshot", 0.5), ("test case", 1.0), ("spec", 0.4),
                ("qa", 0.9), ("benchmark", 0.6), ("fuzz", 0.9), ("harness", 0.7), ("suite", 0.6),
                ("testcontainers", 1.0), ("golden", 0.5), ("reproduce", 0.5), ("property based", 0.9),
                ("theory", 0.4), ("verify", 0.4), ("red green", 0.7),
            ],
            [Domains.Docs] =
            [
                ("doc", 0.9), ("docs", 0.9), ("documentation", 1.0), ("readme", 1.0), ("changelog", 1.0),
                ("tutorial", 1.0), ("guide", 0.8), ("typo", 0.6), ("wording", 0.9), ("markdown", 0.9),
                ("comment", 0.4), ("docstring", 1.0), ("xml doc", 1.0), ("wiki", 0.9), ("explain", 0.6),
                ("explanation", 0.6), ("example", 0.4), ("faq", 1.0), ("onboarding", 0.7), ("adr", 0.9),
                ("diagram", 0.6), ("prose", 0.9), ("grammar", 0.9), ("spelling", 0.9), ("paragraph", 0.9),
                ("section", 0.5), ("heading", 0.7), ("manual", 0.6), ("document", 0.7), ("glossary", 1.0),
                ("release note", 1.0), ("how to", 0.5), ("jsdoc", 1.0), ("reference", 0.4),
                ("write up", 0.8), ("sentence", 0.8), ("chapter", 0.9), ("proofread", 1.0),
            ],
            [Domains.Ml] =
            [
                ("ml", 1.0), ("machine learning", 1.0), ("model", 0.6), ("train", 0.8), ("inference", 0.9),
                ("embedding", 1.0), ("vector", 0.6), ("neural", 1.0), ("transformer", 0.8), ("llm", 1.0),
                ("gpt", 0.8), ("prompt", 0.6), ("fine tune", 1.0), ("finetune", 1.0), ("dataset", 0.6),
                ("feature", 0.3), ("classifier", 0.9), ("classification", 0.8), ("accuracy", 0.8),
                ("precision", 0.5), ("recall", 0.6), ("loss", 0.7), ("gradient", 1.0), ("epoch", 1.0),
                ("pytorch", 1.0), ("tensorflow", 1.0), ("onnx", 1.0), ("sklearn", 1.0), ("scikit learn", 1.0),
                ("hyperparameter", 1.0), ("overfit", 1.0), ("overfitting", 1.0), ("tokenizer", 0.9),
                ("rag", 0.9), ("mlp", 1.0), ("cnn", 1.0), ("rnn", 1.0), ("lstm", 1.0), ("kmeans", 1.0),
                ("cosine", 0.8), ("similarity", 0.6), ("pca", 1.0), ("bert", 1.0), ("numpy", 0.6),
                ("gpu", 0.8), ("cuda", 1.0), ("checkpoint", 0.5), ("label", 0.4), ("weights", 0.4),
            ],
        }.ToFrozenDictionary(StringComparer.Ordinal);
}
