using MiniMe.Identity;

namespace MiniMe.Agents.Tests;

public class StaticCriticTests
{
    private static WeightedPrinciple P(string name, double magnitude, params string[] tags) =>
        new(new Principle { Name = name, Magnitude = magnitude, Tags = tags }, magnitude, PrincipleScope.Global);

    private static BuildOutput Build(params FileDraft[] files) => new("s", files, []);

    [Fact]
    public void CleanBuildPasses() =>
        Assert.Empty(StaticCritic.Check(Build(new FileDraft("src/A.cs", "class A {}", null), new FileDraft("tests/ATests.cs", "// t", null)), [P("Tested behaviour", 0.85, "testing")], 0.5));

    [Theory]
    [InlineData("/etc/passwd")]
    [InlineData("../x.cs")]
    [InlineData("src/../../x.cs")]
    [InlineData("C:\\x.cs")]
    [InlineData("~/x.cs")]
    public void PathsOutsideTheRepositoryBlock(string path)
    {
        var v = Assert.Single(StaticCritic.Check(Build(new FileDraft(path, "x", null)), [], 0.5));
        Assert.Equal(StaticCritic.PathsRule, v.Rule);
        Assert.True(v.Blocking);
    }

    [Fact]
    public void DuplicatePathsAndBrokenDiffsBlock()
    {
        var build = new BuildOutput("s", [new FileDraft("src/A.cs", "a", null)], [new PatchDraft("./src/A.cs", "just replace it"), new PatchDraft("src/B.cs", "--- a/src/B.cs\n+++ b/src/B.cs\n@@ -1,1 +1,1 @@\n-a\n+b\n")]);
        var violations = StaticCritic.Check(build, [], 0.5);
        Assert.Contains(violations, v => v.Rule == StaticCritic.DuplicateRule && v.Location == "src/A.cs");
        Assert.Single(violations, v => v.Rule == StaticCritic.DiffRule && v.Location == "./src/A.cs");
    }

    [Fact]
    public void SecretsAndCredentialFilesAreAttributedToTheSecurityPrinciple()
    {
        var build = Build(new FileDraft("src/Client.cs", "var key = \"sk-abcdefghijklmnopqrstuvwx\";", null), new FileDraft("config/.env", "A=1", null));
        var violations = StaticCritic.Check(build, [P("Least privilege", 0.95, "security")], 0.5);
        Assert.Equal(2, violations.Count);
        Assert.All(violations, v => Assert.Equal("Least privilege", v.Rule));
        Assert.All(StaticCritic.Check(build, [], 0.5), v => Assert.Contains(v.Rule, new[] { StaticCritic.SecretsRule, StaticCritic.CredentialFilesRule }));
    }

    [Theory]
    [InlineData("src/Db.cs", "var conn = Open(password=\"hunter2\");")]
    [InlineData("src/settings.py", "API_KEY=\"4f9a8c7e6d5b4a39281706f5e4d3c2b1\"")]
    [InlineData("config/app.yaml", "database:\n  password: Tr0ub4dor&3\n")]
    [InlineData("src/Client.cs", "var url = \"postgres://app:s3cret@db/app\";")]
    [InlineData("src/Slack.cs", "const string Hook = \"https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX\";")]
    public void HardCodedSecretsInGeneratedCodeBlock(string path, string content)
    {
        var v = Assert.Single(StaticCritic.Check(Build(new FileDraft(path, content, null)), [], 0.5));
        Assert.Equal(StaticCritic.SecretsRule, v.Rule);
        Assert.True(v.Blocking);
    }

    [Theory]
    [InlineData("var password = Environment.GetEnvironmentVariable(\"DB_PASSWORD\");")]
    [InlineData("public string Password { get; set; } = \"\";")]
    [InlineData("var hash = passwordHasher.Hash(password); var token = await GetTokenAsync(ct);")]
    [InlineData("options.ApiKey = configuration[\"Llm:ApiKey\"];")]
    [InlineData("if (password == null) throw new ArgumentNullException(nameof(password));")]
    public void CodeThatReadsSecretsIsNotASecret(string content) =>
        Assert.Empty(StaticCritic.Check(Build(new FileDraft("src/A.cs", content, null)), [], 0.5));

    [Theory]
    [InlineData(0.85, 0.2, true)]
    [InlineData(0.5, 0.7, true)]
    [InlineData(0.5, 0.3, false)]
    public void MissingTestBlocksByMagnitudeOrRigor(double magnitude, double rigor, bool blocking)
    {
        var v = Assert.Single(StaticCritic.Check(Build(new FileDraft("src/A.cs", "class A {}", null)), [P("Tested behaviour", magnitude, "testing")], rigor));
        Assert.Equal("Tested behaviour", v.Rule);
        Assert.Equal(blocking, v.Blocking);
    }

    [Theory]
    [InlineData("src/app.py", "password = os.environ[\"P\"]", null)]
    [InlineData("src/app.py", "password=\"hunter2\"", "secret.keyword-value")]
    [InlineData("src/app.py", "print(eval(input()))", "code.eval")]
    [InlineData("src/app.py", "API_KEY = \"<your-key>\"", null)]
    public void TheSpecsConstraintExamples(string path, string content, string? ruleId)
    {
        var violations = StaticCritic.Check(Build(new FileDraft(path, content, null)), [], 0.5);
        if (ruleId is null)
        {
            Assert.Empty(violations);
            return;
        }
        var v = Assert.Single(violations);
        Assert.Equal(ruleId, v.RuleId);
        Assert.Equal(1, v.Line);
        Assert.True(v.Blocking);
    }

    [Fact]
    public void EveryStaticFindingCarriesARuleIdAndASeverity()
    {
        var build = new BuildOutput("s", [new FileDraft("/abs.cs", "x", null), new FileDraft("src/A.cs", "token: 9f8e7d6c5b4a3f2e", null)], [new PatchDraft("src/B.cs", "replace it")]);
        var violations = StaticCritic.Check(build, [P("Tested behaviour", 0.3, "testing")], 0.2);
        Assert.Equal(["path.escape", "patch.format", "secret.keyword-value", "tests.missing"], violations.Select(v => v.RuleId));
        Assert.Equal(["blocking", "blocking", "blocking", "warning"], violations.Select(v => v.Severity));
        Assert.All(violations, v => Assert.Equal("static", v.Source));
    }

    [Fact]
    public void ThePlanIsConsultedWhenGiven()
    {
        var build = Build(new FileDraft("src/A.cs", "a", null), new FileDraft("src/Extra.cs", "b", null));
        Assert.Empty(StaticCritic.Check(build, [], 0.5));
        var plan = new ArchitectPlan("p", [], [new PlannedFile("src/A.cs", "a")]);
        Assert.Equal("plan.outside", Assert.Single(StaticCritic.Check(build, plan, [], 0.5)).RuleId);
    }

    [Fact]
    public void ProposalsAreCheckedWithTheirCommands()
    {
        var proposals = new[]
        {
            new MiniMe.Actions.ActionProposal("p1", "write_file", new System.Text.Json.Nodes.JsonObject { ["path"] = "src/A.cs", ["content"] = "var password = \"hunter2\";" }, "why"),
            new MiniMe.Actions.ActionProposal("p2", "run_command", new System.Text.Json.Nodes.JsonObject { ["argv"] = new System.Text.Json.Nodes.JsonArray("sh", "-c", "make") }, "why"),
        };
        var violations = StaticCritic.Check(proposals, null, [], 0.5);
        Assert.Equal([("secret.keyword-value", "src/A.cs"), ("command.shell", "p2")], violations.Select(v => (v.RuleId, v.Location)));
    }
}
