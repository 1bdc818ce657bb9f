using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using MiniMe.Configuration;
using MiniMe.Server.Logging;

namespace MiniMe.Server.Tests;

/// <summary>
/// The server.certificate settings: how they are checked, which certificate an https URL gets (a .pfx,
/// a PEM pair, the development certificate) and the one line each bad certificate is; and what the
/// server log keeps of an expected failure.
/// </summary>
public sealed class ServerCertificateTests : IDisposable
{
    private const string Url = "https://127.0.0.1:8443";
    private readonly string _root = Directory.CreateTempSubdirectory("minime-certificate-").FullName;
    private readonly Workspace _workspace;

    public ServerCertificateTests() => _workspace = new Workspace(_root);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void The_defaults_are_valid_and_name_the_password_variable()
    {
        var options = new ServerOptions();
        Assert.Null(options.Certificate);
        Assert.Equal("MINIME_CERTIFICATE_PASSWORD", options.CertificatePasswordVariable);
        Assert.True(new ServerOptionsValidator().Validate(null, options).Succeeded);
    }

    [Theory]
    [InlineData(null, "key.pem", "MINIME_CERTIFICATE_PASSWORD", "server.certificateKey is set but server.certificate is not")]
    [InlineData("cert.pfx", null, "hunter2!", "server.certificatePasswordVariable must name an environment variable")]
    [InlineData("cert.pfx", null, "", "server.certificatePasswordVariable must name an environment variable")]
    [InlineData("cert.pfx", null, "1PASSWORD", "server.certificatePasswordVariable must name an environment variable")]
    [InlineData(" ", null, "MINIME_CERTIFICATE_PASSWORD", "server.certificate is empty")]
    public void Bad_certificate_settings_are_refused_by_name(string? certificate, string? key, string variable, string problem)
    {
        var options = new ServerOptions { Certificate = certificate, CertificateKey = key, CertificatePasswordVariable = variable };
        var error = Assert.Throws<InvalidSettingsException>(() => options.Validate("config.yaml"));
        Assert.Contains(error.Problems, p => p.StartsWith("config.yaml: " + problem, StringComparison.Ordinal));
    }

    [Fact]
    public void Only_https_urls_need_a_certificate()
    {
        Assert.Equal(["https://0.0.0.0:8443"], ServerCertificate.HttpsUrls("http://127.0.0.1:8002; https://0.0.0.0:8443"));
        Assert.Empty(ServerCertificate.HttpsUrls("http://127.0.0.1:8002"));
    }

    [Fact]
    public void A_pfx_relative_to_the_workspace_loads_with_the_password_from_the_named_variable()
    {
        using var made = ServeStartupTests.SelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(10));
        Write("tls/server.pfx", made.Export(X509ContentType.Pfx, "pw"));
        var server = new ServerOptions { Certificate = "tls/server.pfx", CertificatePasswordVariable = "MY_PW" };

        var resolved = ServerCertificate.Resolve(_workspace, server, Url, Env("MY_PW", "pw"), NoDevelopmentCertificate);

        Assert.Equal(made.Thumbprint, resolved.Certificate.Thumbprint);
        Assert.True(resolved.Certificate.HasPrivateKey);
        Assert.Equal(Path.Combine(_root, "tls", "server.pfx"), resolved.Source);
        Assert.Empty(resolved.Warnings);
    }

    [Fact]
    public void A_pem_certificate_with_its_key_file_loads_and_without_a_key_is_refused()
    {
        using var made = ServeStartupTests.SelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(10));
        Write("server.crt", made.ExportCertificatePem());
        Write("server.key", made.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());

        var resolved = ServerCertificate.Resolve(_workspace, new ServerOptions { Certificate = "server.crt", CertificateKey = "server.key" }, Url, Env(), NoDevelopmentCertificate);
        Assert.Equal(made.Thumbprint, resolved.Certificate.Thumbprint);
        Assert.True(resolved.Certificate.HasPrivateKey);

        var keyless = Refused(new ServerOptions { Certificate = "server.crt" });
        Assert.Equal($"server.certificate: {Path.Combine(_root, "server.crt")} holds no private key; set server.certificateKey to the PEM key file", keyless);
    }

    [Fact]
    public void An_encrypted_pem_key_needs_its_password()
    {
        using var made = ServeStartupTests.SelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(10));
        Write("server.crt", made.ExportCertificatePem());
        Write("server.key", made.GetECDsaPrivateKey()!.ExportEncryptedPkcs8PrivateKeyPem("pw", new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 10_000)));
        var server = new ServerOptions { Certificate = "server.crt", CertificateKey = "server.key" };

        Assert.True(ServerCertificate.Resolve(_workspace, server, Url, Env("MINIME_CERTIFICATE_PASSWORD", "pw"), NoDevelopmentCertificate).Certificate.HasPrivateKey);
        Assert.Contains("the private key is encrypted and $MINIME_CERTIFICATE_PASSWORD is not set", Refused(server), StringComparison.Ordinal);
        Assert.Contains("could not be decrypted with the password in $MINIME_CERTIFICATE_PASSWORD", Refused(server, "wrong"), StringComparison.Ordinal);
    }

    [Fact]
    public void Each_bad_certificate_file_is_one_line_naming_it_and_what_is_wrong()
    {
        using var made = ServeStartupTests.SelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(10));
        Write("notes.txt", "not a certificate at all");
        Write("public.cer", made.Export(X509ContentType.Cert));
        using var publicOnly = X509CertificateLoader.LoadCertificate(made.RawData);
        Write("keyless.pfx", publicOnly.Export(X509ContentType.Pfx, "pw"));
        Write("locked.pfx", made.Export(X509ContentType.Pfx, "pw"));

        Assert.Equal($"server.certificate: {Path.Combine(_root, "missing.pfx")} does not exist", Refused(new ServerOptions { Certificate = "missing.pfx" }));
        Assert.StartsWith($"server.certificate: {Path.Combine(_root, "notes.txt")} is not a certificate", Refused(new ServerOptions { Certificate = "notes.txt" }), StringComparison.Ordinal);
        Assert.StartsWith($"server.certificate: {Path.Combine(_root, "public.cer")} is a certificate without its private key", Refused(new ServerOptions { Certificate = "public.cer" }), StringComparison.Ordinal);
        Assert.StartsWith($"server.certificate: {Path.Combine(_root, "keyless.pfx")} has no private key", Refused(new ServerOptions { Certificate = "keyless.pfx" }, "pw"), StringComparison.Ordinal);
        Assert.Contains("could not be opened without a password ($MINIME_CERTIFICATE_PASSWORD is not set)", Refused(new ServerOptions { Certificate = "locked.pfx" }), StringComparison.Ordinal);
        Assert.Contains("could not be opened with the password in $MINIME_CERTIFICATE_PASSWORD: wrong password", Refused(new ServerOptions { Certificate = "locked.pfx" }, "nope"), StringComparison.Ordinal);
        Write("public.crt", made.ExportCertificatePem());
        Assert.Equal($"server.certificateKey: {Path.Combine(_root, "gone.key")} does not exist",
            Refused(new ServerOptions { Certificate = "public.crt", CertificateKey = "gone.key" }));
    }

    [Fact]
    public void An_expired_certificate_is_a_warning_not_a_failure()
    {
        using var made = ServeStartupTests.SelfSigned(DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddDays(-2));
        Write("old.pfx", made.Export(X509ContentType.Pfx, "pw"));

        var resolved = ServerCertificate.Resolve(_workspace, new ServerOptions { Certificate = "old.pfx" }, Url, Env("MINIME_CERTIFICATE_PASSWORD", "pw"), NoDevelopmentCertificate);

        var warning = Assert.Single(resolved.Warnings);
        Assert.StartsWith($"server.certificate: {Path.Combine(_root, "old.pfx")} expired on {made.NotAfter.ToUniversalTime():yyyy-MM-dd}", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_server_certificate_the_development_certificate_is_used_else_the_error_says_how_to_get_one()
    {
        using var development = ServeStartupTests.SelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(10));

        var resolved = ServerCertificate.Resolve(_workspace, new ServerOptions(), Url, Env(), () => development);
        Assert.Same(development, resolved.Certificate);
        Assert.Equal("the .NET development certificate", resolved.Source);

        var error = Assert.Throws<InvalidSettingsException>(() => ServerCertificate.Resolve(_workspace, new ServerOptions(), Url, Env(), NoDevelopmentCertificate));
        Assert.Equal(
            "https://127.0.0.1:8443 needs a certificate: set server.certificate (a .pfx/.p12 file, or a PEM .crt/.pem with server.certificateKey; its password in $MINIME_CERTIFICATE_PASSWORD) or run `dotnet dev-certs https` for the .NET development certificate",
            Assert.Single(error.Problems));
    }

    [Fact]
    public void An_expected_failure_is_logged_as_one_warning_line_unless_verbose_and_a_bug_keeps_its_stack()
    {
        var expected = new Chat.ModelCallException("Cannot reach the openai endpoint.", new HttpRequestException("Connection refused"));
        var bug = new InvalidOperationException("a bug");

        var quiet = ServerLogPolicy.Default.Apply("MiniMe.Server.Problems.ExceptionProblems", LogLevel.Error, new EventId(1), expected);
        Assert.Equal((false, LogLevel.Warning, (Exception?)null, "Cannot reach the openai endpoint."), quiet);
        Assert.Equal((false, LogLevel.Error, (Exception?)bug, (string?)null), ServerLogPolicy.Default.Apply("x", LogLevel.Error, new EventId(1), bug));
        Assert.Equal((false, LogLevel.Error, (Exception?)expected, (string?)null), new ServerLogPolicy(verbose: true).Apply("x", LogLevel.Error, new EventId(1), expected));
        Assert.True(ServerLogPolicy.Default.Apply("Microsoft.Extensions.AI.OpenTelemetryChatClient", LogLevel.Warning, new EventId(1), expected).Drop);
        // The host's "failed to start": the caller of StartAsync reports it (one line, details with --verbose).
        Assert.True(new ServerLogPolicy(verbose: true).Apply("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Error, new EventId(11), bug).Drop);
    }

    private string Refused(ServerOptions server, string? password = null) =>
        Assert.Single(Assert.Throws<InvalidSettingsException>(() => ServerCertificate.Resolve(
            _workspace, server, Url, Env("MINIME_CERTIFICATE_PASSWORD", password), NoDevelopmentCertificate)).Problems);

    private static Func<string, string?> Env(string? name = null, string? value = null) => n => n == name ? value : null;

    private static X509Certificate2? NoDevelopmentCertificate() => null;

    private void Write(string relative, byte[] bytes)
    {
        var path = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
    }

    private void Write(string relative, string text) => Write(relative, System.Text.Encoding.ASCII.GetBytes(text));
}
