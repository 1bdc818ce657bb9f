using System.Text;
using MiniMe.Memory.Import;
using MiniMe.Tests.Support;

namespace MiniMe.Tests.Memory;

public class SourceFileReaderTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Utf8_text_is_read_with_its_hash_and_size()
    {
        var path = _dir.Write("a.md", "héllo wörld");
        var text = Assert.IsType<SourceFile.Text>(SourceFileReader.Read(path, 1024));
        Assert.Equal("héllo wörld", text.Content);
        Assert.False(text.DecodedAsLatin1);
        Assert.Equal(Encoding.UTF8.GetByteCount("héllo wörld"), text.SizeBytes);
        Assert.Equal(64, text.ContentHash.Length);
    }

    [Fact]
    public void Utf8_bom_is_dropped()
    {
        var path = _dir.WriteBytes("bom.txt", [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes("text")]);
        Assert.Equal("text", Assert.IsType<SourceFile.Text>(SourceFileReader.Read(path, 1024)).Content);
    }

    [Fact]
    public void Utf16_with_bom_is_decoded()
    {
        var path = _dir.WriteBytes("u16.txt", [.. Encoding.Unicode.GetPreamble(), .. Encoding.Unicode.GetBytes("wide text")]);
        Assert.Equal("wide text", Assert.IsType<SourceFile.Text>(SourceFileReader.Read(path, 1024)).Content);
    }

    [Fact]
    public void Invalid_utf8_falls_back_to_latin1_and_says_so()
    {
        var path = _dir.WriteBytes("latin.txt", Encoding.Latin1.GetBytes("café crème"));
        var text = Assert.IsType<SourceFile.Text>(SourceFileReader.Read(path, 1024));
        Assert.Equal("café crème", text.Content);
        Assert.True(text.DecodedAsLatin1);
    }

    [Fact]
    public void Nul_bytes_mean_binary()
    {
        var path = _dir.WriteBytes("data.txt", [0x41, 0x00, 0x42, 0x43]);
        Assert.Equal(SkipReason.Binary, Assert.IsType<SourceFile.Skipped>(SourceFileReader.Read(path, 1024)).Reason);
    }

    [Fact]
    public void Known_binary_extensions_are_skipped_without_reading()
    {
        var path = _dir.Write("image.png", "not really a png");
        Assert.Equal(SkipReason.Binary, Assert.IsType<SourceFile.Skipped>(SourceFileReader.Read(path, 1024)).Reason);
    }

    [Fact]
    public void Files_over_the_limit_are_skipped_with_the_limit_in_the_reason()
    {
        var path = _dir.Write("big.txt", new string('x', 2048));
        var skipped = Assert.IsType<SourceFile.Skipped>(SourceFileReader.Read(path, 1024));
        Assert.Equal(SkipReason.TooLarge, skipped.Reason);
        Assert.Contains("maxFileBytes", skipped.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Unreadable_files_are_skipped_not_thrown()
    {
        if (Environment.UserName == "root" || OperatingSystem.IsWindows())
        {
            // root reads any file whatever its mode; a missing file exercises the same path.
            var missing = _dir.Combine("gone.txt");
            Assert.Equal(SkipReason.Unreadable, Assert.IsType<SourceFile.Skipped>(SourceFileReader.Read(missing, 1024)).Reason);
            return;
        }
        var path = _dir.Write("secret.txt", "no access");
        File.SetUnixFileMode(path, UnixFileMode.None);
        Assert.Equal(SkipReason.Unreadable, Assert.IsType<SourceFile.Skipped>(SourceFileReader.Read(path, 1024)).Reason);
    }
}
