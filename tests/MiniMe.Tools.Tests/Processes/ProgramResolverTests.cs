using MiniMe.Tools.Processes;

namespace MiniMe.Tools.Tests.Processes;

public sealed class ProgramResolverTests : IDisposable
{
    private readonly DirectoryInfo _base = Directory.CreateTempSubdirectory("minime-resolver-");

    private string Root => Path.Join(_base.FullName, "project");
    private string Outside => Path.Join(_base.FullName, "outside");

    public ProgramResolverTests()
    {
        Directory.CreateDirectory(Path.Join(Root, "bin"));
        Directory.CreateDirectory(Outside);
        var fake = Path.Join(Root, "bin", "git");
        File.WriteAllText(fake, "#!/bin/sh\necho planted\n");
        File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    [Fact]
    public void Path_entry_that_reaches_the_root_through_a_symlink_is_dropped()
    {
        var link = Path.Join(Outside, "bin");
        File.CreateSymbolicLink(link, Path.Join(Root, "bin"));

        var resolver = new ProgramResolver($"{link}:/usr/bin", Root);

        Assert.Equal(["/usr/bin"], resolver.SearchPath);
        Assert.Equal("/usr/bin/git", resolver.Resolve("git"));
    }

    [Fact]
    public void Path_entry_whose_link_chain_passes_through_the_root_is_dropped_even_when_it_ends_outside()
    {
        // outside/hop -> project/hop -> /usr/bin: today it lands outside, but a tool may re-point project/hop.
        File.CreateSymbolicLink(Path.Join(Root, "hop"), "/usr/bin");
        var hop = Path.Join(Outside, "hop");
        File.CreateSymbolicLink(hop, Path.Join(Root, "hop"));

        Assert.Empty(new ProgramResolver(hop, Root).SearchPath);
    }

    [Fact]
    public void Path_entry_inside_a_root_given_through_a_symlink_is_dropped()
    {
        var rootLink = Path.Join(Outside, "project-link");
        File.CreateSymbolicLink(rootLink, Root);

        var resolver = new ProgramResolver($"{Path.Join(Root, "bin")}:/usr/bin", rootLink);

        Assert.Equal(["/usr/bin"], resolver.SearchPath);
    }

    [Fact]
    public void Symlinked_path_entry_outside_the_root_is_kept_as_written()
    {
        var link = Path.Join(Outside, "usr-bin");
        File.CreateSymbolicLink(link, "/usr/bin");

        var resolver = new ProgramResolver(link, Root);

        Assert.Equal([link], resolver.SearchPath);
        Assert.Equal(Path.Join(link, "git"), resolver.Resolve("git"));
    }

    public void Dispose() => _base.Delete(recursive: true);
}
