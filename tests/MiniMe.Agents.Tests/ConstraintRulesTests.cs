using MiniMe.Agents.Constraints;
using MiniMe.Identity;

namespace MiniMe.Agents.Tests;

public class ConstraintRulesTests
{
    private static WeightedPrinciple P(string name, string description, double magnitude = 0.5, params string[] tags) =>
        new(new Principle { Name = name, Description = description, Magnitude = magnitude, Tags = tags }, magnitude, PrincipleScope.Global);

    private static IReadOnlyList<Violation> Check(IReadOnlyList<WeightedPrinciple>? principles, ArchitectPlan? plan, params ProposedChange[] changes) =>
        ConstraintRules.Check(changes, new ConstraintContext(principles ?? [], 0.5, plan));

    private static IReadOnlyList<Violation> CheckFile(string path, string content) => Check(null, null, ProposedChange.File(path, content));

    private static ArchitectPlan Plan(params string[] files) => new("plan", [], [.. files.Select(f => new PlannedFile(f, "p"))]);

    // --- hard-coded secrets ---

    [Theory]
    [InlineData("app/db.py", "import os\npassword=\"hunter2\"\n", "secret.keyword-value", 2)]
    [InlineData("src/Settings.cs", "// settings\n\nvar password = \"hunter2\";", "secret.keyword-value", 3)]
    [InlineData("deploy/settings.sh", "API_KEY=\"4f9a8c7e6d5b4a39281706f5e4d3c2b1\"", "secret.keyword-value", 1)]
    [InlineData("config/app.yaml", "service:\n  token: 9f8e7d6c5b4a3f2e\n", "secret.keyword-value", 2)]
    [InlineData("config/app.json", "{\n  \"name\": \"app\",\n  \"secret\": \"s3cr3t-value-42\"\n}", "secret.keyword-value", 3)]
    [InlineData("deploy/key.txt", "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----", "secret.private-key", 1)]
    [InlineData("src/Aws.cs", "var id = \"AKIAZ7Q3R5T8U2W4Y6B1\";", "secret.aws-access-token", 1)]
    [InlineData("scripts/gh.py", "GH = 'ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789'", "secret.github-token", 1)]
    [InlineData("src/slack.js", "const bot = 'xoxb-123456789012-abcdefghijkl';", "secret.slack-token", 1)]
    [InlineData("src/auth.ts", "const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJl';", "secret.jwt", 1)]
    public void HardCodedSecretsBlockWithTheirFormatAndLine(string path, string content, string ruleId, int line)
    {
        var v = Assert.Single(CheckFile(path, content), v => v.RuleId!.StartsWith("secret.", StringComparison.Ordinal));
        Assert.Equal(ruleId, v.RuleId);
        Assert.Equal(line, v.Line);
        Assert.Equal(path, v.Location);
        Assert.True(v.Blocking);
        Assert.Equal("blocking", v.Severity);
        Assert.Equal(StaticCritic.SecretsRule, v.Rule);
        Assert.DoesNotContain("hunter2", v.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("password = os.environ[\"P\"]")]
    [InlineData("API_KEY=\"${API_KEY}\"")]
    [InlineData("api_key: <your-key>")]
    [InlineData("password = \"changeme\"")]
    [InlineData("password = \"\"")]
    [InlineData("token: your-token-here")]
    [InlineData("secret = process.env.SECRET")]
    [InlineData("DB_PASSWORD=%DB_PASSWORD%")]
    [InlineData("client_secret: \"{{ .Values.clientSecret }}\"")]
    [InlineData("var password = Environment.GetEnvironmentVariable(\"DB_PASSWORD\");")]
    public void PlaceholdersAndReferencesAreNotSecrets(string content) =>
        Assert.DoesNotContain(CheckFile("src/settings.py", content), v => v.RuleId!.StartsWith("secret.", StringComparison.Ordinal));

    [Fact]
    public void OnlyTheLinesAPatchAddsAreCheckedAndNumberedInTheNewFile()
    {
        const string removesSecret = "--- a/app.py\n+++ b/app.py\n@@ -1,2 +1,2 @@\n import os\n-password=\"hunter2\"\n+password=os.environ[\"P\"]\n";
        Assert.Empty(Check(null, null, ProposedChange.Patch("app.py", removesSecret)));

        const string addsSecret = "--- a/app.py\n+++ b/app.py\n@@ -10,2 +10,3 @@\n import os\n x = 1\n+password=\"hunter2\"\n";
        var v = Assert.Single(Check(null, null, ProposedChange.Patch("app.py", addsSecret)));
        Assert.Equal("secret.keyword-value", v.RuleId);
        Assert.Equal(12, v.Line);
    }

    [Fact]
    public void SecretsAreAttributedToTheSecurityPrinciple()
    {
        var v = Assert.Single(Check([P("Least privilege", "Grant the minimum access.", 0.95, "security")], null, ProposedChange.File("a.py", "password=\"hunter2\"")));
        Assert.Equal("Least privilege", v.Rule);
        Assert.Equal("secret.keyword-value", v.RuleId);
    }

    [Theory]
    [InlineData(".env.local", true)]
    [InlineData("config/.env", true)]
    [InlineData("certs/server.pem", true)]
    [InlineData(".env.example", false)]
    [InlineData("docs/env.md", false)]
    public void CredentialFilesBlock(string path, bool flagged) =>
        Assert.Equal(flagged, CheckFile(path, "A=1").Any(v => v.RuleId == "secret.file" && v.Blocking));

    // --- eval / exec / shell of input in code ---

    [Theory]
    [InlineData("run.py", "x = eval(input())", "code.eval")]
    [InlineData("run.py", "exec(user_code)", "code.exec")]
    [InlineData("run.py", "subprocess.run(cmd, shell=True)", "code.shell-true")]
    [InlineData("run.py", "subprocess.check_output(f\"ls {path}\", shell=True)", "code.shell-true")]
    [InlineData("run.py", "os.system(\"ls \" + folder)", "code.os-system")]
    [InlineData("Run.java", "Process p = Runtime.getRuntime().exec(command);", "code.runtime-exec")]
    [InlineData("run.js", "const f = new Function(body);", "code.function")]
    [InlineData("run.js", "child_process.exec(`git ${args}`)", "code.exec")]
    public void DynamicCodeOnInputBlocks(string path, string line, string ruleId)
    {
        var v = Assert.Single(CheckFile(path, "first line\n" + line));
        Assert.Equal(ruleId, v.RuleId);
        Assert.Equal(StaticCritic.DynamicCodeRule, v.Rule);
        Assert.Equal(2, v.Line);
        Assert.True(v.Blocking);
    }

    [Theory]
    [InlineData("eval(\"1 + 1\")")]
    [InlineData("subprocess.run(\"ls -l\", shell=True)")]
    [InlineData("os.system('clear')")]
    public void DynamicCodeOnAConstantIsAWarning(string line)
    {
        var v = Assert.Single(CheckFile("run.py", line));
        Assert.False(v.Blocking);
        Assert.Equal("warning", v.Severity);
    }

    [Theory]
    [InlineData("run.py", "model.eval()")]
    [InlineData("run.js", "const m = pattern.exec(text);")]
    [InlineData("run.py", "subprocess.run([\"ls\", \"-l\"], check=True)")]
    [InlineData("run.py", "# never eval(input()) here")]
    [InlineData("src/Evaluator.cs", "var result = Evaluate(expression);")]
    [InlineData("README.md", "Do not call eval(input()) in handlers.")]
    public void MethodsCommentsAndDocumentsAreNotDynamicCode(string path, string line) =>
        Assert.Empty(CheckFile(path, line));

    // --- shell strings in commands ---

    [Theory]
    [InlineData("command.shell", "bash", "-c", "make && make test")]
    [InlineData("command.shell", "/bin/sh", "-lc", "ls")]
    [InlineData("command.shell", "cmd.exe", "/c", "dir")]
    [InlineData("command.shell", "pwsh", "-Command", "Get-ChildItem")]
    [InlineData("command.program", "dotnet test && rm -rf /")]
    public void ShellStringsInCommandsBlock(string ruleId, params string[] argv)
    {
        var v = Assert.Single(Check(null, null, ProposedChange.Command(argv, "p3")));
        Assert.Equal(ruleId, v.RuleId);
        Assert.Equal("p3", v.Location);
        Assert.True(v.Blocking);
    }

    [Fact]
    public void ShellOperatorsInsideOneArgumentAreAWarning()
    {
        var v = Assert.Single(Check(null, null, ProposedChange.Command(["dotnet", "test", "--filter", "A | tee out.txt"])));
        Assert.Equal("command.operators", v.RuleId);
        Assert.False(v.Blocking);
    }

    [Theory]
    [InlineData("dotnet", "test")]
    [InlineData("git", "log", "--format=%h|%s")]
    [InlineData("bash", "scripts/build.sh")]
    public void PlainArgumentVectorsPass(params string[] argv) =>
        Assert.Empty(Check(null, null, ProposedChange.Command(argv)));

    // --- files outside the Architect's plan ---

    [Fact]
    public void AFileOutsideThePlanIsAWarningAndTestsAreExempt()
    {
        var violations = Check(null, Plan("src/Greeter.cs"),
            ProposedChange.File("src/Greeter.cs", "x"), ProposedChange.File("src/Other.cs", "y"), ProposedChange.File("tests/GreeterTests.cs", "t"));
        var v = Assert.Single(violations);
        Assert.Equal("plan.outside", v.RuleId);
        Assert.Equal("src/Other.cs", v.Location);
        Assert.False(v.Blocking);
    }

    [Fact]
    public void APlannedFolderCoversItsFiles() =>
        Assert.Empty(Check(null, Plan("src/Greeting/"), ProposedChange.File("./src/Greeting/Greeter.cs", "x")));

    [Theory]
    [InlineData(".github/workflows/ci.yml", "plan.sensitive")]
    [InlineData(".gitlab-ci.yml", "plan.sensitive")]
    [InlineData(".git/hooks/pre-commit", "plan.protected")]
    [InlineData(".minime/allowlist.yaml", "plan.protected")]
    public void SensitiveLocationsOutsideThePlanBlock(string path, string ruleId)
    {
        var v = Assert.Single(Check(null, Plan("src/Greeter.cs"), ProposedChange.File(path, "x")));
        Assert.Equal(ruleId, v.RuleId);
        Assert.True(v.Blocking);
        // Without a plan nothing asked for them either.
        Assert.Equal(ruleId, Assert.Single(Check(null, null, ProposedChange.File(path, "x"))).RuleId);
    }

    [Fact]
    public void PlannedCiIsAllowedButGitInternalsNeverAre()
    {
        Assert.Empty(Check(null, Plan(".github/workflows/ci.yml"), ProposedChange.File(".github/workflows/ci.yml", "on: push")));
        Assert.Equal("plan.protected", Assert.Single(Check(null, Plan(".git/hooks/pre-commit"), ProposedChange.File(".git/hooks/pre-commit", "x"))).RuleId);
    }

    [Fact]
    public void WithoutAPlanOrdinaryFilesAreNotJudged() =>
        Assert.Empty(Check(null, null, ProposedChange.File("src/Other.cs", "y")));

    // --- principle keywords ---

    [Theory]
    [InlineData("No dynamic", "Never use `dynamic` in C#.", "dynamic")]
    [InlineData("Stateless", "Avoid global state in services.", "global state")]
    [InlineData("Least privilege", "Validate input; never log secrets.", "log secrets")]
    [InlineData("Plain code", "Do not use reflection or Activator.", "reflection")]
    [InlineData("Lean", "Avoid using the service locator pattern.", "service locator pattern")]
    [InlineData("Avoid regex", "Parsing is explicit.", "regex")]
    public void ForbiddenTermsAreReadFromThePrinciple(string name, string description, string term) =>
        Assert.Equal([term], PrincipleKeywordsRule.ForbiddenTerms(new Principle { Name = name, Description = description }));

    [Fact]
    public void PrinciplesWithoutAProhibitionForbidNothing() =>
        Assert.Empty(PrincipleKeywordsRule.ForbiddenTerms(new Principle { Name = "Simplicity", Description = "Choose the simplest design that meets the requirement; remove what is not needed." }));

    [Fact]
    public void ACodeChangeUsingAForbiddenTermWarnsNamingThePrinciple()
    {
        var principles = new[] { P("Stateless", "Avoid global state in services."), P("Plain code", "Do not use reflection.") };
        var violations = Check(principles, null, ProposedChange.File("src/Cache.cs", "using System;\nusing System.Reflection;\nstatic object GlobalState = new();"));
        Assert.Equal(2, violations.Count);
        Assert.All(violations, v => Assert.Equal("principle.keyword", v.RuleId));
        Assert.All(violations, v => Assert.False(v.Blocking));
        var reflection = Assert.Single(violations, v => v.Rule == "Plain code");
        Assert.Equal(2, reflection.Line);
        Assert.Contains("'reflection'", reflection.Message, StringComparison.Ordinal);
        Assert.Equal(3, Assert.Single(violations, v => v.Rule == "Stateless").Line);
    }

    [Fact]
    public void AForbiddenTermOnlyInARemovedLineOrAbsentIsNotFlagged()
    {
        var principles = new[] { P("Plain code", "Do not use reflection.") };
        Assert.Empty(Check(principles, null, ProposedChange.File("src/A.cs", "class Reflector {}")));
        Assert.Empty(Check(principles, null, ProposedChange.Patch("src/A.cs", "--- a/src/A.cs\n+++ b/src/A.cs\n@@ -1,1 +1,1 @@\n-using System.Reflection;\n+using System;\n")));
    }

    // --- the rule table ---

    [Fact]
    public void EveryRuleHasItsOwnId() =>
        Assert.Equal(ConstraintRules.All.Count, ConstraintRules.All.Select(r => r.Id).Distinct(StringComparer.Ordinal).Count());

    [Fact]
    public void ChangeDigestsDependOnKindAndContent()
    {
        Assert.Equal(ProposedChange.File("a", "x").Digest, ProposedChange.File("./a", "x").Digest);
        Assert.NotEqual(ProposedChange.File("a", "x").Digest, ProposedChange.File("a", "y").Digest);
        Assert.NotEqual(ProposedChange.File("a", "x").Digest, ProposedChange.Patch("a", "x").Digest);
        Assert.Equal(ProposedChange.File("./a", "x").Key, ProposedChange.Patch("a", "y").Key);
        Assert.NotEqual(ProposedChange.Command(["a b"]).Digest, ProposedChange.Command(["a", "b"]).Digest);
    }
}
