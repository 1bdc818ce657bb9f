using System.Security.Cryptography;
using System.Text;
using MiniMe.Configuration;
using MiniMe.Masks;
using MiniMe.Memory;
using MiniMe.Memory.Import;
using MiniMe.Storage.Sqlite;
using MiniMe.Tests.Support;
using MiniMe.Tracing;

namespace MiniMe.Tests.Memory;

/// <summary>`minime import` of a tree that holds keys, credentials and .gitignore'd files: none of it reaches memory.</summary>
public sealed class ImportSecretsTests : IAsyncLifetime, IDisposable
{
    private const string AwsSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    private const string PemBody = "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun";

    private readonly TempDirectory _dir = new();
    private SqliteMemoryStore _store = null!;

    public async Task InitializeAsync()
    {
        _store = new SqliteMemoryStore(_dir.Combine("memory.db"));
        await _store.InitializeAsync(CancellationToken.None);
    }

    public async Task DisposeAsync() => await _store.DisposeAsync();

    public void Dispose() => _dir.Dispose();

    private Task<ImportReport> Import(string path) =>
        new Importer(_store, new ImportOptions(), new KeywordTaskClassifier()).ImportAsync(new ImportRequest(path), null, CancellationToken.None);

    private async Task<IReadOnlyList<Candidate>> Search(string word) =>
        await _store.SearchLexicalAsync($"\"{word}\"", 20, SearchFilter.None, new Bm25Weights(1, 1, 1), CancellationToken.None);

    private async Task<IReadOnlyList<string>> StoredRelative(string root) =>
        [.. (await _store.GetDocumentHashesAsync(CancellationToken.None)).Keys.Select(k => Path.GetRelativePath(root, k).Replace('\\', '/')).Order(StringComparer.Ordinal)];

    /// <summary>A repository with secrets beside ordinary files, a root and a nested .gitignore and .git/info/exclude.</summary>
    private string Repository()
    {
        _dir.Write("repo/.git/info/exclude", "excluded.md\n");
        _dir.Write("repo/.git/HEAD", "ref: refs/heads/main\n");
        _dir.Write("repo/.gitignore", "# build output\nbuild/\n*.log\n!keep.log\n/local.txt\n");
        _dir.Write("repo/.env", "DB_PASSWORD=hunter2hunter2\n");
        _dir.Write("repo/id_rsa", $"-----BEGIN RSA PRIVATE KEY-----\n{PemBody}\n-----END RSA PRIVATE KEY-----\n");
        _dir.Write("repo/server.key", $"-----BEGIN PRIVATE KEY-----\n{PemBody}\n-----END PRIVATE KEY-----\n");
        _dir.Write("repo/cert.pem", "-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBa\n-----END CERTIFICATE-----\n");
        _dir.Write("repo/.ssh/config", "Host prod\n  IdentityFile ~/.ssh/id_ed25519\n  User deploy\n");
        _dir.Write("repo/build/out.md", "generated buildartifact notes");
        _dir.Write("repo/app.log", "logline with hunter2hunter2");
        _dir.Write("repo/keep.log", "keepable logline");
        _dir.Write("repo/local.txt", "machine-local scratch");
        _dir.Write("repo/excluded.md", "excludedbyinfo notes");
        _dir.Write("repo/README.md", "# Service\n\nRetries with exponential backoff.");
        _dir.Write("repo/docs/local.txt", "documented locality");
        _dir.Write("repo/docs/.gitignore", "draft-*.md\n");
        _dir.Write("repo/docs/draft-1.md", "unfinished draftwork");
        _dir.Write("repo/docs/guide.md", "# Guide\n\nDeploy with helm.");
        _dir.Write("repo/notes/aws.md", $"# Prod access\n\nThe AWS secret key is {AwsSecret} for the prodaccount.\n\nRotate it monthly.");
        return _dir.Combine("repo");
    }

    [Fact]
    public async Task Secret_files_secret_folders_and_ignored_files_never_reach_memory_and_are_reported()
    {
        var root = Repository();
        var report = await Import(root);

        Assert.Equal(
            [".gitignore", "README.md", "docs/.gitignore", "docs/guide.md", "docs/local.txt", "keep.log", "notes/aws.md"],
            await StoredRelative(root));
        Assert.Equal([".env", "cert.pem", "id_rsa", "server.key"], report.Walk.SecretFiles.Select(s => Path.GetFileName(s.Path)).Order(StringComparer.Ordinal));
        Assert.Equal(".ssh", Path.GetFileName(Assert.Single(report.Walk.SecretDirectories).Path));
        Assert.Equal(["app.log", "docs/draft-1.md", "excluded.md", "local.txt"],
            report.Walk.GitIgnoredFiles.Select(s => Path.GetRelativePath(root, s.Path).Replace('\\', '/')).Order(StringComparer.Ordinal));
        Assert.Equal("build", Path.GetFileName(Assert.Single(report.Walk.GitIgnoredDirectories).Path));
        Assert.Contains(report.Walk.SecretFiles, s => s.Path.EndsWith(".env", StringComparison.Ordinal) && s.Reason.Contains("**/.env", StringComparison.Ordinal));
        Assert.Contains(report.Walk.GitIgnoredFiles, s => s.Path.EndsWith("draft-1.md", StringComparison.Ordinal) && s.Reason.Contains("draft-*.md", StringComparison.Ordinal));

        foreach (var word in new[] { "hunter2hunter2", "IdentityFile", "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun", "buildartifact", "excludedbyinfo", "draftwork", "scratch" })
            Assert.Empty(await Search(word));
    }

    [Fact]
    public async Task A_secret_inside_an_ordinary_note_is_masked_before_it_is_stored()
    {
        var root = Repository();
        var report = await Import(root);

        Assert.Equal(1, report.FilesRedacted);
        Assert.Empty(await Search("wJalrXUtnFEMI"));
        Assert.Empty(await Search("bPxRfiCYEXAMPLEKEY"));
        var chunk = Assert.Single(await Search("prodaccount")).Chunk;
        Assert.Contains("The AWS secret key is [REDACTED] for the prodaccount.", chunk.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(AwsSecret, chunk.Text, StringComparison.Ordinal);

        var again = await Import(root);
        Assert.Equal(0, again.FilesImported);
        Assert.Equal(7, again.FilesUnchanged);
    }

    [Fact]
    public async Task Reimport_removes_what_an_older_version_stored_for_paths_now_secret_or_ignored()
    {
        var root = Repository();
        // What an import without secret rules stored: raw text under the raw file hash.
        var old = new[] { ".env", ".ssh/config", "id_rsa", "build/out.md", "docs/draft-1.md", "notes/aws.md" }
            .Select(relative => OldWrite(Path.Combine(root, relative)))
            .Append(OldWrite(Path.Combine(root, ".aws", "credentials"), "aws_secret_access_key = " + AwsSecret))
            .ToList();
        await _store.WriteDocumentsAsync(old, CancellationToken.None);
        Assert.NotEmpty(await Search("wJalrXUtnFEMI"));

        var report = await Import(root);

        Assert.Equal([".aws/credentials", ".env", ".ssh/config", "build/out.md", "docs/draft-1.md", "id_rsa"],
            report.DocumentsRemoved.Select(d => Path.GetRelativePath(root, d).Replace('\\', '/')).Order(StringComparer.Ordinal));
        Assert.Equal(
            [".gitignore", "README.md", "docs/.gitignore", "docs/guide.md", "docs/local.txt", "keep.log", "notes/aws.md"],
            await StoredRelative(root));
        foreach (var word in new[] { "wJalrXUtnFEMI", "hunter2hunter2", "IdentityFile", "buildartifact", "draftwork" })
            Assert.Empty(await Search(word));
        Assert.Contains(SecretRedactor.Mask, Assert.Single(await Search("prodaccount")).Chunk.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_single_secret_file_is_refused_by_its_name_or_its_folder()
    {
        var key = _dir.Write("single/server.key", "-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n");
        var sshConfig = _dir.Write("home/.ssh/config", "Host prod");
        foreach (var path in new[] { key, sshConfig })
        {
            var report = await Import(path);
            Assert.Equal(0, report.FilesImported);
            Assert.Equal(path, Assert.Single(report.Walk.SecretFiles).Path);
        }
        var folder = await Import(_dir.Combine("home", ".ssh"));
        Assert.Equal(0, folder.FilesSeen);
        Assert.Single(folder.Walk.SecretDirectories);
        Assert.Equal(0, (await _store.GetStatsAsync(CancellationToken.None)).Documents);
    }

    [Fact]
    public async Task A_symlink_to_a_secret_file_is_skipped()
    {
        var target = _dir.Write("home/.aws/credentials", "aws_secret_access_key = " + AwsSecret);
        _dir.Write("linked/notes.md", "ordinary notes");
        File.CreateSymbolicLink(_dir.Combine("linked", "creds.txt"), target);

        var report = await Import(_dir.Combine("linked"));

        Assert.Equal(1, report.FilesImported);
        var skipped = Assert.Single(report.Walk.SecretFiles);
        Assert.EndsWith("creds.txt", skipped.Path, StringComparison.Ordinal);
        Assert.Contains("links to a secret file", skipped.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_repository_gitignore_applies_to_an_import_of_one_of_its_folders()
    {
        _dir.Write("mono/.git/HEAD", "ref: refs/heads/main\n");
        _dir.Write("mono/.gitignore", "*.generated.md\n");
        _dir.Write("mono/docs/api.generated.md", "generatedapi text");
        _dir.Write("mono/docs/intro.md", "handwritten intro");

        var report = await Import(_dir.Combine("mono", "docs"));

        Assert.Equal(1, report.FilesImported);
        Assert.Single(report.Walk.GitIgnoredFiles);
        Assert.Empty(await Search("generatedapi"));
    }

    [Fact]
    public async Task What_is_ignored_matches_git_itself()
    {
        var root = Repository();
        var git = Git(root, "init", "-q");
        Assert.Equal(0, git.ExitCode);
        var report = await Import(root);

        // git's own list of untracked files that are not ignored (secrets are not git's business).
        var listed = Git(root, "ls-files", "--others", "--exclude-standard");
        Assert.Equal(0, listed.ExitCode);
        var secret = new HashSet<string>([".env", "id_rsa", "server.key", "cert.pem", ".ssh/config"], StringComparer.Ordinal);
        var expected = listed.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(p => !secret.Contains(p)).Order(StringComparer.Ordinal);
        Assert.Equal(expected, await StoredRelative(root));
        Assert.Equal(7, report.FilesImported);
    }

    private static DocumentWrite OldWrite(string path, string? content = null)
    {
        if (content is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, content);
        }
        var bytes = File.ReadAllBytes(path);
        var text = Encoding.UTF8.GetString(bytes);
        var hash = Convert.ToHexStringLower(SHA256.HashData(bytes));
        return new DocumentWrite(
            new DocumentRecord(path, hash, bytes.Length, DateTimeOffset.UtcNow, "general", []),
            [new ChunkRecord(0, 0, text.Length, text, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text))), null, Path.GetFileName(path), "")]);
    }

    private static (int ExitCode, string Output) Git(string directory, params string[] args)
    {
        var start = new System.Diagnostics.ProcessStartInfo("git") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        start.Environment["GIT_CONFIG_GLOBAL"] = "/dev/null";
        using var process = System.Diagnostics.Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output);
    }
}
