using MiniMe.Identity;

namespace MiniMe.Hosting.Users;

/// <summary>
/// identity.yaml parsed once and kept while the file's stamp (exists, size, last write time) is the one
/// it was parsed at. A stamp is one stat, a parse is a YAML read; a writer that replaces the file (PUT
/// /v1/profile writes a temporary file and moves it over) or edits it in place changes its stamp. A file
/// that fails to parse is not kept: the error comes again on the next call, until the file is fixed.
/// </summary>
internal sealed class CachedIdentity(string path)
{
    private sealed record Entry(Stamp Stamp, IdentityDocument Document);

    private readonly record struct Stamp(bool Exists, long Length, DateTime LastWriteUtc);

    private volatile Entry? _entry;

    public IdentityDocument Load()
    {
        var stamp = Current();
        if (_entry is { } entry && entry.Stamp == stamp) return entry.Document;
        var document = IdentityLoader.Load(path);
        // The stamp before the read: a write landing during the read changes the stamp, so the next call reads again.
        _entry = new Entry(stamp, document);
        return document;
    }

    public void Forget() => _entry = null;

    private Stamp Current()
    {
        var file = new FileInfo(path);
        return file.Exists ? new Stamp(true, file.Length, file.LastWriteTimeUtc) : default;
    }
}
