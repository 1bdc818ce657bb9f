using MiniMe.Configuration;
using MiniMe.Masks;
using MiniMe.Memory;
using MiniMe.Memory.Import;
using MiniMe.Storage.Sqlite;
using MiniMe.Tests.Support;

namespace MiniMe.Tests.Memory;

/// <summary>Memory in step with its files: pruning what is gone, .minimeignore, and refreshing files changed outside an import.</summary>
public sealed class ImportInStepTests : SqliteStoreTest
{
    private static readonly Bm25Weights Weights = new(1, 1, 1);

    private Importer NewImporter() => new(Store, new ImportOptions(), new KeywordTaskClassifier());

    private Task<ImportReport> Import(string path, string? domain = null, IReadOnlyList<string>? tags = null) =>
        NewImporter().ImportAsync(new ImportRequest(path, domain, tags), null, CancellationToken.None);

    private async Task<IReadOnlyList<string>> Sources() => (await Store.ListDocumentsAsync(null, CancellationToken.None)).Select(d => d.Source).ToList();

    private async Task<IReadOnlyList<string>> Found(string word) =>
        (await Store.SearchLexicalAsync($"\"{word}\"", 10, SearchFilter.None, Weights, CancellationToken.None)).Select(c => c.Chunk.Source).ToList();

    private string Notes()
    {
        Dir.Write("notes/keep.md", "Keep: circuit breakers open after five failures.");
        Dir.Write("notes/old.md", "Old: the zeppelin deployment is retired.");
        Dir.Write("notes/deep/inner.md", "Inner: idempotency keys on every POST.");
        return Dir.Combine("notes");
    }

    [Fact]
    public async Task Reimporting_a_folder_removes_documents_whose_files_were_deleted()
    {
        var root = Notes();
        await Import(root);
        Assert.Single(await Found("zeppelin"));

        File.Delete(Dir.Combine("notes/old.md"));
        Directory.Delete(Dir.Combine("notes/deep"), recursive: true);
        var report = await Import(root);

        Assert.Equal([Dir.Combine("notes/deep/inner.md"), Dir.Combine("notes/old.md")], report.DocumentsPruned);
        Assert.Equal(2, report.ChunksRemoved);
        Assert.Empty(report.DocumentsRemoved);
        Assert.Empty(await Found("zeppelin"));
        Assert.Empty(await Found("idempotency"));
        Assert.Equal([Dir.Combine("notes/keep.md")], await Sources());
    }

    [Fact]
    public async Task A_moved_file_is_found_at_its_new_path_and_gone_from_the_old_one()
    {
        var root = Notes();
        await Import(root);
        Directory.CreateDirectory(Dir.Combine("notes/archive"));
        File.Move(Dir.Combine("notes/old.md"), Dir.Combine("notes/archive/old.md"));

        var report = await Import(root);

        Assert.Equal([Dir.Combine("notes/old.md")], report.DocumentsPruned);
        Assert.Equal(1, report.FilesImported);
        Assert.Equal([Dir.Combine("notes/archive/old.md")], await Found("zeppelin"));
        Assert.DoesNotContain(Dir.Combine("notes/old.md"), await Sources());
    }

    [Fact]
    public async Task Importing_a_subfolder_prunes_only_under_it_and_a_single_file_prunes_nothing()
    {
        var root = Notes();
        await Import(root);
        File.Delete(Dir.Combine("notes/old.md"));
        File.Delete(Dir.Combine("notes/deep/inner.md"));
        Dir.Write("notes/deep/other.md", "Other text.");

        Assert.Empty((await Import(Dir.Combine("notes/keep.md"))).DocumentsPruned);
        var deep = await Import(Dir.Combine("notes/deep"));
        Assert.Equal([Dir.Combine("notes/deep/inner.md")], deep.DocumentsPruned);
        Assert.Contains(Dir.Combine("notes/old.md"), await Sources());
        // A gone single file is still an error, as before.
        await Assert.ThrowsAsync<NotFoundException>(() => Import(Dir.Combine("notes/old.md")));
        Assert.Contains(Dir.Combine("notes/old.md"), await Sources());
    }

    [Fact]
    public async Task A_folder_that_cannot_be_read_does_not_prune_what_is_under_it()
    {
        if (Environment.UserName == "root" || OperatingSystem.IsWindows()) return;   // root reads any folder whatever its mode; the rule itself is covered by Documents_under_an_unreadable_folder_are_never_gone
        var root = Notes();
        await Import(root);
        var deep = Dir.Combine("notes/deep");
        File.SetUnixFileMode(deep, UnixFileMode.None);
        try
        {
            var report = await Import(root);
            Assert.Contains(report.Walk.UnreadableDirectories, u => u.Path == deep);
            Assert.Empty(report.DocumentsPruned);
            Assert.Contains(Dir.Combine("notes/deep/inner.md"), await Sources());
        }
        finally
        {
            File.SetUnixFileMode(deep, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    [Fact]
    public void Documents_under_an_unreadable_folder_are_never_gone()
    {
        var root = Dir.Combine("notes");
        var walk = new WalkCounts();
        walk.UnreadableDirectories.Add((Path.Combine(root, "deep"), "Permission denied"));
        string[] stored = [Path.Combine(root, "deep", "inner.md"), Path.Combine(root, "deeper.md"), Path.Combine(root, "seen.md"), Dir.Combine("elsewhere.md")];

        var gone = Importer.GoneDocuments(root, stored, [Path.Combine(root, "seen.md")], walk, _ => true);

        // Not under the unreadable folder (deeper.md only shares its name's prefix), not walked, under the root.
        Assert.Equal([Path.Combine(root, "deeper.md")], gone);
    }

    [Fact]
    public void Only_a_path_that_does_not_exist_is_gone()
    {
        Assert.True(Importer.IsGone(Dir.Combine("missing.md")));
        Assert.True(Importer.IsGone(Dir.Combine("missing-folder", "x.md")));
        Assert.False(Importer.IsGone(Dir.Write("here.md", "x")));
        Assert.True(Importer.IsGone(Dir.Path));   // a folder where the file was: the file is gone
        if (Environment.UserName == "root" || OperatingSystem.IsWindows()) return;
        var locked = Dir.Combine("locked");
        var inside = Dir.Write("locked/x.md", "x");
        File.SetUnixFileMode(locked, UnixFileMode.None);
        try
        {
            Assert.False(Importer.IsGone(inside));   // cannot look: keep it
        }
        finally
        {
            File.SetUnixFileMode(locked, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    [Fact]
    public async Task Documents_behind_a_symlinked_folder_the_walk_skips_are_not_gone()
    {
        Dir.Write("real/linked.md", "Linked: the quokka service.");
        var root = Notes();
        Directory.CreateSymbolicLink(Dir.Combine("notes/link"), Dir.Combine("real"));
        await Import(Dir.Combine("notes/link/linked.md"));
        Assert.Single(await Found("quokka"));

        var report = await Import(root);

        Assert.Equal(1, report.Walk.SymlinkedDirectoriesSkipped);
        Assert.Empty(report.DocumentsPruned);
        Assert.Equal([Dir.Combine("notes/link/linked.md")], await Found("quokka"));
    }

    [Fact]
    public async Task A_minimeignore_keeps_files_out_and_removes_those_imported_before()
    {
        var root = Notes();
        Dir.Write("notes/drafts/wip.md", "Draft: the walrus plan.");
        await Import(root);
        Assert.Single(await Found("zeppelin"));
        Assert.Single(await Found("walrus"));

        Dir.Write("notes/.minimeignore", "# not for memory\nold.md\ndrafts/\n");
        var report = await Import(root);

        Assert.Equal([Dir.Combine("notes/drafts/wip.md"), Dir.Combine("notes/old.md")], report.DocumentsRemoved);
        Assert.Empty(report.DocumentsPruned);
        var file = Assert.Single(report.Walk.GitIgnoredFiles);
        Assert.Equal(Dir.Combine("notes/old.md"), file.Path);
        Assert.Contains(".minimeignore:2", file.Reason, StringComparison.Ordinal);
        Assert.Equal(Dir.Combine("notes/drafts"), Assert.Single(report.Walk.GitIgnoredDirectories).Path);
        Assert.Empty(await Found("zeppelin"));
        Assert.Empty(await Found("walrus"));
        Assert.Single(await Found("breakers"));
    }

    [Fact]
    public async Task A_nested_minimeignore_applies_below_its_own_folder_and_can_reinclude()
    {
        var root = Notes();
        Dir.Write("notes/deep/skip.md", "Skip: the narwhal.");
        Dir.Write("notes/skip.md", "Top: the pelican.");
        Dir.Write("notes/.gitignore", "*.log\n");
        Dir.Write("notes/deep/keep.log", "Logged: the ibex.");
        Dir.Write("notes/deep/.minimeignore", "skip.md\n!keep.log\n");

        var report = await Import(root);

        Assert.Equal([Dir.Combine("notes/deep/skip.md")], report.Walk.GitIgnoredFiles.Select(f => f.Path));
        Assert.Empty(await Found("narwhal"));
        Assert.Single(await Found("pelican"));
        Assert.Single(await Found("ibex"));   // .minimeignore's "!" re-includes what .gitignore above excluded
    }

    [Fact]
    public async Task A_minimeignore_above_the_import_root_applies_inside_a_git_repository()
    {
        Directory.CreateDirectory(Dir.Combine("repo/.git"));
        Dir.Write("repo/.minimeignore", "private-plans.md\n");
        Dir.Write("repo/docs/private-plans.md", "Plans: the axolotl.");
        Dir.Write("repo/docs/public.md", "Public: the capybara.");

        var report = await Import(Dir.Combine("repo/docs"));

        Assert.Equal([Dir.Combine("repo/docs/private-plans.md")], report.Walk.GitIgnoredFiles.Select(f => f.Path));
        Assert.Empty(await Found("axolotl"));
        Assert.Single(await Found("capybara"));
    }

    [Fact]
    public async Task Refreshing_a_changed_stored_file_reimports_it_keeping_its_domain_and_tags()
    {
        var root = Notes();
        await Import(root, domain: "ops", tags: ["team"]);
        Dir.Write("notes/old.md", "New: the blimp replaces it.");

        var report = await NewImporter().RefreshFilesAsync([Dir.Combine("notes/old.md")], Dir.Path, CancellationToken.None);

        Assert.Equal(1, report.FilesImported);
        Assert.Empty(await Found("zeppelin"));
        Assert.Equal([Dir.Combine("notes/old.md")], await Found("blimp"));
        var document = Assert.Single(await Store.ListDocumentsAsync(Dir.Combine("notes/old.md"), CancellationToken.None));
        Assert.Equal("ops", document.Domain);
        Assert.Equal(["team"], document.Tags);
    }

    [Fact]
    public async Task Refreshing_adds_new_files_in_imported_folders_only_and_removes_deleted_ones()
    {
        var root = Notes();
        await Import(root);
        Dir.Write("notes/fresh.md", "Fresh: the ocelot.");
        Dir.Write("notes/new/sub.md", "Sub: the tapir.");
        Dir.Write("elsewhere/other.md", "Other: the okapi.");
        Dir.Write("notes/.env", "TOKEN=the-gecko");
        File.Delete(Dir.Combine("notes/old.md"));
        string[] changed = ["notes/fresh.md", "notes/new/sub.md", "elsewhere/other.md", "notes/.env", "notes/old.md", "../outside.md"];

        var report = await NewImporter().RefreshFilesAsync([.. changed.Select(c => Dir.Combine(c))], Dir.Path, CancellationToken.None);

        Assert.Equal(2, report.FilesImported);
        Assert.Equal([Dir.Combine("notes/old.md")], report.DocumentsPruned);
        Assert.Single(await Found("ocelot"));
        Assert.Single(await Found("tapir"));
        Assert.Empty(await Found("okapi"));     // not in an imported folder
        Assert.Empty(await Found("gecko"));     // a secret file, never read
        Assert.Empty(await Found("zeppelin"));
    }

    [Fact]
    public async Task Refreshing_a_stored_file_now_ignored_removes_it()
    {
        var root = Notes();
        await Import(root);
        Dir.Write("notes/.minimeignore", "old.md\n");

        var report = await NewImporter().RefreshFilesAsync([Dir.Combine("notes/old.md")], Dir.Path, CancellationToken.None);

        Assert.Equal([Dir.Combine("notes/old.md")], report.DocumentsRemoved);
        Assert.Empty(await Found("zeppelin"));
    }
}
