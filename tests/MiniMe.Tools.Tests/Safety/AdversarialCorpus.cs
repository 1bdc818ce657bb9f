using System.Text.Json.Nodes;
using MiniMe.Tools.Tests.Support;

namespace MiniMe.Tools.Tests.Safety;

/// <summary>One hostile proposal: which tool, and arguments built against a fresh <see cref="ToolWorkspace"/>.</summary>
public sealed record HostileCase(string Name, string Category, string Tool, Func<ToolWorkspace, JsonObject> Arguments);

/// <summary>
/// Proposals that must be refused (by the allowlist or a safety rule, before approval is even asked)
/// and leave no trace on disk and start no process: traversal, absolute paths, symlink escapes,
/// secret and excluded files, shell injection, disallowed programs, argument smuggling and oversized input.
/// </summary>
public static class AdversarialCorpus
{
    private static JsonObject Read(string path) => new() { ["path"] = path };
    private static JsonObject Write(string path) => new() { ["path"] = path, ["content"] = "pwned\n" };
    private static JsonObject Search(string path) => new() { ["query"] = "x", ["path"] = path };
    private static JsonObject Run(params string[] argv) => new() { ["argv"] = new JsonArray([.. argv.Select(a => (JsonNode?)a)]) };
    private static JsonObject RunIn(string cwd, params string[] argv) => new() { ["argv"] = new JsonArray([.. argv.Select(a => (JsonNode?)a)]), ["cwd"] = cwd };
    private static JsonObject Patch(string path, bool create = false) => new()
    {
        ["patch"] = create
            ? $"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1 @@\n+pwned\n"
            : $"--- a/{path}\n+++ b/{path}\n@@ -1 +1 @@\n-outside\n+pwned\n",
    };

    private static IReadOnlyList<HostileCase> Original { get; } =
    [
        // Traversal with ".."
        new("read ../outside", "traversal", "read_file", _ => Read("../outside/target.txt")),
        new("read ../../etc/passwd", "traversal", "read_file", _ => Read("../../etc/passwd")),
        new("read deep ../ chain to /etc/passwd", "traversal", "read_file", _ => Read("src/../../../../../../../../etc/passwd")),
        new("read src/../../outside", "traversal", "read_file", _ => Read("src/../../outside/target.txt")),
        new("read ./src/../../outside", "traversal", "read_file", _ => Read("./src/../../outside/target.txt")),
        new("write ../outside new file", "traversal", "write_file", _ => Write("../outside/new.txt")),
        new("write src/../../outside", "traversal", "write_file", _ => Write("src/../../outside/evil.txt")),
        new("write through a new directory and back out", "traversal", "write_file", _ => Write("src/newdir/../../../outside/evil.txt")),
        new("patch ../outside existing file", "traversal", "apply_patch", _ => Patch("../outside/target.txt")),
        new("patch creating ../outside file", "traversal", "apply_patch", _ => Patch("../outside/created.txt", create: true)),
        new("search ../outside", "traversal", "search_repo", _ => Search("../outside")),
        new("command cwd ../outside", "traversal", "run_command", _ => RunIn("../outside", "git", "status")),
        new("patch without headers, path ../outside", "traversal", "apply_patch", _ => new JsonObject { ["patch"] = "@@ -1 +1 @@\n-outside\n+pwned\n", ["path"] = "../outside/target.txt" }),

        // Absolute paths
        new("read /etc/passwd", "absolute", "read_file", _ => Read("/etc/passwd")),
        new("read absolute outside file", "absolute", "read_file", w => Read(Path.Join(w.Outside, "target.txt"))),
        new("write absolute outside file", "absolute", "write_file", w => Write(Path.Join(w.Outside, "evil.txt"))),
        new("write absolute path climbing out of the root", "absolute", "write_file", w => Write(w.Root + "/src/../../outside/evil.txt")),
        new("patch absolute header", "absolute", "apply_patch", w => Patch(Path.Join(w.Outside, "target.txt"))),
        new("command cwd /", "absolute", "run_command", _ => RunIn("/", "git", "status")),
        new("search /etc", "absolute", "search_repo", _ => Search("/etc")),
        new("read ~ path", "absolute", "read_file", _ => Read("~/.bashrc")),

        // Symlink escapes (real links made by the fixture)
        new("read through directory link out", "symlink", "read_file", _ => Read("src/escape/target.txt")),
        new("write new file through directory link out", "symlink", "write_file", _ => Write("src/escape/new.txt")),
        new("write through file link out", "symlink", "write_file", _ => Write("src/outside-file")),
        new("read through file link out", "symlink", "read_file", _ => Read("src/outside-file")),
        new("read link to /etc/hostname", "symlink", "read_file", _ => Read("src/hostname-link")),
        new("patch through directory link out", "symlink", "apply_patch", _ => Patch("src/escape/target.txt")),
        new("write through root-level link out", "symlink", "write_file", _ => Write("link-out/x.txt")),
        new("read symlink loop", "symlink", "read_file", _ => Read("src/loop1")),
        new("write through chained links out", "symlink", "write_file", _ => Write("src/chain1/x.txt")),
        new("write via .. after a link out (lexically inside src/)", "symlink", "write_file", _ => Write("src/escape/../x.txt")),
        new("search through directory link out", "symlink", "search_repo", _ => Search("src/escape")),
        new("command argument through link out", "symlink", "run_command", _ => Run("git", "log", "src/escape/target.txt")),
        new("command cwd through link out", "symlink", "run_command", _ => RunIn("src/escape", "git", "status")),

        // Secret, protected and excluded files
        new("read .env", "excluded", "read_file", _ => Read(".env")),
        new("read src/.env", "excluded", "read_file", _ => Read("src/.env")),
        new("write .env", "excluded", "write_file", _ => Write(".env")),
        new("write src/.env", "excluded", "write_file", _ => Write("src/.env")),
        new("read .Env.local (case)", "excluded", "read_file", _ => Read(".Env.local")),
        new("read id_rsa", "excluded", "read_file", _ => Read("secrets/id_rsa")),
        new("read .pem", "excluded", "read_file", _ => Read("keys/server.pem")),
        new("read .key", "excluded", "read_file", _ => Read("config/app.key")),
        new("write new .key under an included directory", "excluded", "write_file", _ => Write("src/server.key")),
        new("write .ssh under an included directory", "excluded", "write_file", _ => Write("src/.ssh/authorized_keys")),
        new("read link to .env", "excluded", "read_file", _ => Read("src/env-link")),
        new("write link to .env", "excluded", "write_file", _ => Write("src/env-link")),
        new("write allowlist-excluded file", "excluded", "write_file", _ => Write("src/generated/gen.cs")),
        new("read allowlist-excluded file", "excluded", "read_file", _ => Read("private/notes.txt")),
        new("read MiniMe config", "excluded", "read_file", _ => Read(".minime/config.yaml")),
        new("write MiniMe allowlist", "excluded", "write_file", _ => Write(".minime/allowlist.yaml")),
        new("patch MiniMe allowlist", "excluded", "apply_patch", _ => Patch(".minime/allowlist.yaml", create: true)),
        new("write git hook", "excluded", "write_file", _ => Write(".git/hooks/pre-commit")),
        new("write git config", "excluded", "write_file", _ => Write(".git/config")),
        new("write file not included", "excluded", "write_file", _ => Write("README.md")),
        new("patch .env", "excluded", "apply_patch", _ => Patch(".env")),
        new("command reads .env", "excluded", "run_command", _ => Run("git", "diff", "--", ".env")),
        new("command reads HEAD:.env", "excluded", "run_command", _ => Run("git", "show", "HEAD:.env")),
        new("command reads the MiniMe home", "excluded", "run_command", _ => Run("git", "log", ".minime/config.yaml")),

        // Command injection
        new("injection ;", "injection", "run_command", _ => Run("git", "status; touch pwned")),
        new("injection &&", "injection", "run_command", _ => Run("git", "status && touch pwned")),
        new("injection $()", "injection", "run_command", _ => Run("git", "log", "$(touch pwned)")),
        new("injection backticks", "injection", "run_command", _ => Run("git", "log", "`touch pwned`")),
        new("injection newline", "injection", "run_command", _ => Run("git", "log", "--oneline\ntouch pwned")),
        new("injection carriage return", "injection", "run_command", _ => Run("git", "log", "a\rtouch pwned")),
        new("injection pipe", "injection", "run_command", _ => Run("git", "status", "|", "sh")),
        new("injection output redirect", "injection", "run_command", _ => Run("git", "log", ">", "pwned")),
        new("injection input redirect", "injection", "run_command", _ => Run("git", "log", "<", "/etc/passwd")),
        new("injection ${IFS}", "injection", "run_command", _ => Run("git", "log", "${IFS}touch${IFS}pwned")),
        new("injection whole line as program", "injection", "run_command", _ => Run("git status; touch pwned")),
        new("injection & background", "injection", "run_command", _ => Run("git", "status", "&", "touch", "pwned")),
        new("injection leading tilde", "injection", "run_command", _ => Run("git", "log", "~/.ssh/id_rsa")),

        // Disallowed programs
        new("program curl", "program", "run_command", _ => Run("curl", "http://127.0.0.1:9/")),
        new("program rm", "program", "run_command", _ => Run("rm", "-rf", "src")),
        new("program bash -c", "program", "run_command", _ => Run("bash", "-c", "touch pwned")),
        new("program /bin/sh -c", "program", "run_command", _ => Run("/bin/sh", "-c", "touch pwned")),
        new("allowed sh without a script", "program", "run_command", _ => Run("sh", "-c", "touch pwned")),
        new("program python3", "program", "run_command", _ => Run("python3", "-c", "open('pwned','w')")),
        new("program env wrapper", "program", "run_command", _ => Run("env", "git", "status")),
        new("program path inside root", "program", "run_command", _ => Run("./scripts/hello.sh")),
        new("empty program", "program", "run_command", _ => Run("")),
        new("empty argv", "program", "run_command", _ => Run()),
        new("git subcommand not allowed", "program", "run_command", _ => Run("git", "push", "origin")),

        // Argument smuggling
        new("git -c core.pager", "smuggling", "run_command", _ => Run("git", "-c", "core.pager=touch pwned", "log")),
        new("git -ccore.pager", "smuggling", "run_command", _ => Run("git", "-ccore.pager=touch pwned", "log")),
        new("git --config-env", "smuggling", "run_command", _ => Run("git", "--config-env=core.pager=EVIL", "log")),
        new("git --upload-pack", "smuggling", "run_command", _ => Run("git", "log", "--upload-pack=touch pwned")),
        new("git diff --output", "smuggling", "run_command", _ => Run("git", "diff", "--output=pwned")),
        new("git --git-dir", "smuggling", "run_command", _ => Run("git", "--git-dir=../outside", "status")),
        new("git --work-tree", "smuggling", "run_command", _ => Run("git", "--work-tree=/", "status")),
        new("git -C /", "smuggling", "run_command", _ => Run("git", "-C", "/", "status")),
        new("git --ext-diff", "smuggling", "run_command", _ => Run("git", "diff", "--ext-diff")),
        new("git --textconv", "smuggling", "run_command", _ => Run("git", "show", "--textconv", "HEAD")),
        new("git --exec-path", "smuggling", "run_command", _ => Run("git", "--exec-path=/tmp", "status")),
        new("git ext:: transport", "smuggling", "run_command", _ => Run("git", "log", "ext::sh")),
        new("git absolute path argument", "smuggling", "run_command", _ => Run("git", "status", "--porcelain", "/etc")),
        new("git diff --no-index outside", "smuggling", "run_command", _ => Run("git", "diff", "--no-index", "../outside/target.txt", "src/app.cs")),
        new("dotnet -p:PreBuildEvent", "smuggling", "run_command", _ => Run("dotnet", "build", "-p:PreBuildEvent=touch pwned")),
        new("dotnet /p:", "smuggling", "run_command", _ => Run("dotnet", "build", "/p:Configuration=Release")),
        new("dotnet -logger", "smuggling", "run_command", _ => Run("dotnet", "build", "-logger:Evil.dll")),
        new("dotnet response file", "smuggling", "run_command", _ => Run("dotnet", "build", "@evil.rsp")),

        // Oversized input
        new("oversized write content", "oversized", "write_file", w => new JsonObject { ["path"] = "src/big.txt", ["content"] = new string('a', (int)w.Options.Tools.MaxFileBytes + 1) }),
        new("too many arguments", "oversized", "run_command", _ => Run(["git", "log", .. Enumerable.Repeat("x", 300)])),
        new("huge argument", "oversized", "run_command", _ => Run("git", "log", new string('a', 40_000))),
        new("huge path", "oversized", "read_file", _ => Read("src/" + new string('a', 5000))),
        new("path with NUL", "oversized", "read_file", _ => Read("src/app.cs\0.txt")),
    ];

    /// <summary>Every refusal case: the original 105 and the ones issue 10 added (see <see cref="CommandCorpus"/>).</summary>
    public static IReadOnlyList<HostileCase> All { get; } = [.. Original, .. CommandCorpus.All];

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var c in All) data.Add(c.Name);
        return data;
    }
}
