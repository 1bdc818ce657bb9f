using MiniMe.Masks;

namespace MiniMe.Tests.Masks;

public sealed class KeywordTaskClassifierTests
{
    private readonly KeywordTaskClassifier _classifier = new();

    [Theory]
    [InlineData("Add JWT validation to the OAuth login flow and rotate the signing secret", Domains.Security)]
    [InlineData("Fix the XSS vulnerability in the comment renderer by sanitizing user HTML", Domains.Security)]
    [InlineData("Make the navbar dropdown responsive on mobile and fix the CSS layout", Domains.Frontend)]
    [InlineData("Create a React component for the settings modal with a dark mode toggle", Domains.Frontend)]
    [InlineData("Add a paginated GET endpoint to the orders REST API with proper status codes", Domains.Backend)]
    [InlineData("Add Redis caching in the product service middleware to cut request latency", Domains.Backend)]
    [InlineData("Write an Airflow DAG that backfills the events table into the warehouse as Parquet", Domains.Data)]
    [InlineData("Add a foreign key and an index on the orders.customer_id column in Postgres", Domains.Data)]
    [InlineData("Set up a GitHub Actions workflow that builds the Docker image and deploys to Kubernetes with Helm", Domains.DevOps)]
    [InlineData("Write Terraform for the staging cluster load balancer and DNS records", Domains.DevOps)]
    [InlineData("Add xUnit tests with mocks for PaymentService and fix the flaky integration test", Domains.Testing)]
    [InlineData("Fix the typo in the README and update the changelog", Domains.Docs)]
    [InlineData("Write a tutorial explaining how to configure the CLI, with a glossary", Domains.Docs)]
    [InlineData("Fine-tune the embedding model and report accuracy and loss per epoch", Domains.Ml)]
    [InlineData("Train a small MLP classifier in PyTorch on the labeled dataset", Domains.Ml)]
    [InlineData("Hi, what should I have for lunch today?", Domains.General)]
    [InlineData("Please think about it and get back to me tomorrow", Domains.General)]
    public void Classifies_realistic_tasks_into_the_right_domain(string task, string expected)
    {
        var profile = _classifier.Classify(task);

        Assert.Equal(expected, profile.Domain);
        Assert.InRange(profile.DomainConfidence, 0.0, 1.0);
        Assert.InRange(profile.Complexity, 0.0, 1.0);
    }

    [Fact]
    public void One_line_typo_fix_is_less_complex_than_a_distributed_migration_plan()
    {
        var typo = _classifier.Classify("Fix a typo in a comment");
        var medium = _classifier.Classify("Add a paginated endpoint for orders with filtering by status and date, and write tests for it");
        var big = _classifier.Classify(
            """
            Plan a distributed migration of the monolith's orders database to event-driven microservices
            across multi-tenant clusters with zero downtime:
            1. design the target architecture and the consistency model;
            2. migrate the data with a backfill and dual writes;
            3. then cut traffic over with a canary and a rollback plan.
            """);

        Assert.True(typo.Complexity < medium.Complexity, $"typo {typo.Complexity} < medium {medium.Complexity}");
        Assert.True(medium.Complexity < big.Complexity, $"medium {medium.Complexity} < big {big.Complexity}");
        Assert.True(typo.Complexity < 0.2, $"typo {typo.Complexity}");
        Assert.True(big.Complexity > 0.7, $"big {big.Complexity}");
    }

    [Fact]
    public void Signals_explain_domain_and_complexity()
    {
        var profile = _classifier.Classify("Refactor the JWT auth for the distributed gateway");

        Assert.Contains(profile.Signals, s => s.StartsWith("domain security:", StringComparison.Ordinal) && s.Contains("jwt") && s.Contains("auth"));
        Assert.Contains(profile.Signals, s => s.StartsWith("complexity +0.15", StringComparison.Ordinal) && s.Contains("'distributed'"));
    }

    [Fact]
    public void Splits_camel_and_snake_case_identifiers()
    {
        var profile = _classifier.Classify("validateJwtToken in auth_middleware.cs");

        Assert.Equal(Domains.Security, profile.Domain);
        Assert.Contains(profile.Signals, s => s.Contains("jwt"));
    }

    [Theory]
    [InlineData("migrations")]
    [InlineData("migrate")]
    [InlineData("migrating")]
    [InlineData("migrated")]
    public void Stemming_matches_inflected_forms(string word)
    {
        var profile = _classifier.Classify("please " + word + " it");

        Assert.Equal(Domains.Data, profile.Domain);
        Assert.Contains(profile.Signals, s => s.Contains("'migrat", StringComparison.Ordinal));
    }

    [Fact]
    public void Repeated_terms_have_diminishing_returns()
    {
        // 50 mentions of one security term lose to 7 distinct devops terms once repetition is damped.
        var text = string.Join(' ', Enumerable.Repeat("jwt", 50)) + " docker kubernetes helm terraform ansible prometheus grafana";

        Assert.Equal(Domains.DevOps, _classifier.Classify(text).Domain);
    }

    [Fact]
    public void Classifies_a_large_document_within_the_character_cap()
    {
        var paragraph = "We deploy the service with Helm onto the Kubernetes cluster; the CI pipeline builds the Docker image, then Terraform provisions the load balancer.\n";
        var document = string.Concat(Enumerable.Repeat(paragraph, 20_000)); // ~3 MB
        var capped = new KeywordTaskClassifier(maxChars: 10_000);

        var profile = capped.Classify(document);

        Assert.Equal(Domains.DevOps, profile.Domain);
        Assert.InRange(profile.DomainConfidence, 0.5, 1.0);
        Assert.Contains(profile.Signals, s => s.Contains("words") && !s.Contains("600000"));
    }

    [Fact]
    public void More_evidence_means_more_confidence()
    {
        var thin = _classifier.Classify("check the login");
        var rich = _classifier.Classify("check the login: OAuth, JWT signing, CSRF tokens and password hashing with bcrypt");

        Assert.Equal(Domains.Security, rich.Domain);
        Assert.True(rich.DomainConfidence > thin.DomainConfidence, $"{rich.DomainConfidence} > {thin.DomainConfidence}");
    }

    [Fact]
    public void Empty_text_is_general_and_trivial()
    {
        var profile = _classifier.Classify("");

        Assert.Equal(Domains.General, profile.Domain);
        Assert.Equal(0, profile.Complexity);
    }
}
