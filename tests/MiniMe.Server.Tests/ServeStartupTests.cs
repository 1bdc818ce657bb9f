using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.RegularExpressions;
using MiniMe.Server.Tests.Support;

namespace MiniMe.Server.Tests;

/// <summary>
/// `minime serve` as a real process: https with the certificate config.yaml names (a self-signed one made
/// here, its password in an environment variable), and the start-up failures a user meets (a wrong
/// password, a missing file, no certificate at all, a busy port, an unreachable model) as one line each,
/// with the exit code scripts rely on and no stack trace unless --verbose.
/// </summary>
[Trait("Category", "Integration")]
public sealed partial class ServeStartupTests : IAsyncLifetime
{
    private const string Password = "correct horse battery staple";
    private readonly string _root = Path.Combine(Path.GetTempPath(), "minime-serve-startup", Guid.NewGuid().ToString("N"));

    private string Home => Path.Combine(_root, ".minime");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_root);
        await ServeProcess.RunAsync(["init", "--home", Home, "--name", "nima"], Environment());
    }

    public Task DisposeAsync()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
        return Task.CompletedTask;
    }

    private Dictionary<string, string> Environment() => new()
    {
        ["MINIME_TRUST_FILE"] = Path.Combine(_root, "trust.json"),
        ["MINIME_EMBEDDINGS__MODEL"] = "none",
    };

    [Fact]
    public async Task Https_uses_the_configured_certificate_and_a_client_trusting_exactly_it_gets_health()
    {
        using var certificate = SelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        WritePfx(certificate, "certs/server.pfx", Password);
        Configure("server:\n  certificate: certs/server.pfx\n  certificatePasswordVariable: TEST_CERT_PASSWORD\n");
        var environment = Environment();
        environment["TEST_CERT_PASSWORD"] = Password;

        await using var serve = await ServeProcess.StartServeAsync(Home, environment, "https://127.0.0.1:0");
        Assert.Equal("https", serve.BaseAddress.Scheme);
        Assert.Contains($"https uses {Path.Combine(Home, "certs", "server.pfx")}", serve.Output, StringComparison.Ordinal);

        using var trusting = new HttpClient(TrustingOnly(certificate)) { BaseAddress = serve.BaseAddress };
        var health = await trusting.GetFromJsonAsync<JsonElement>("/health");
        Assert.Equal("ok", health.GetProperty("status").GetString());

        // The same request from a client trusting only the system's roots fails the TLS handshake: the server presented the test certificate.
        using var system = new HttpClient { BaseAddress = serve.BaseAddress };
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => system.GetAsync("/health"));
        Assert.IsType<System.Security.Authentication.AuthenticationException>(refused.InnerException);
    }

    [Fact]
    public async Task A_wrong_certificate_password_is_one_line_naming_the_file_and_exit_2()
    {
        using var certificate = SelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        WritePfx(certificate, "server.pfx", Password);
        Configure("server:\n  certificate: server.pfx\n");
        var environment = Environment();
        environment["MINIME_CERTIFICATE_PASSWORD"] = "not the password";

        var (code, _, error) = await ServeProcess.RunToExitAsync(["serve", "--home", Home, "--urls", "https://127.0.0.1:0"], environment);

        Assert.Equal(2, code);
        var line = Assert.Single(Lines(error));
        Assert.Equal($"error: server.certificate: {Path.Combine(Home, "server.pfx")} could not be opened with the password in $MINIME_CERTIFICATE_PASSWORD: wrong password, or a damaged file", line);
    }

    [Fact]
    public async Task A_missing_certificate_file_is_one_line_and_exit_2()
    {
        Configure("server:\n  certificate: certs/missing.pfx\n");

        var (code, _, error) = await ServeProcess.RunToExitAsync(["serve", "--home", Home, "--urls", "https://127.0.0.1:0"], Environment());

        Assert.Equal(2, code);
        Assert.Equal($"error: server.certificate: {Path.Combine(Home, "certs", "missing.pfx")} does not exist", Assert.Single(Lines(error)));
    }

    [Fact]
    public async Task Https_without_a_certificate_or_a_development_certificate_says_how_to_get_one()
    {
        // A home of its own: no `dotnet dev-certs https` certificate in this user's store.
        var environment = Environment();
        var home = Path.Combine(_root, "user-home");
        Directory.CreateDirectory(home);
        environment["HOME"] = home;

        var (code, _, error) = await ServeProcess.RunToExitAsync(["serve", "--home", Home, "--urls", "https://127.0.0.1:0"], environment);

        Assert.Equal(2, code);
        var line = Assert.Single(Lines(error));
        Assert.StartsWith("error: https://127.0.0.1:0 needs a certificate: set server.certificate", line, StringComparison.Ordinal);
        Assert.Contains("`dotnet dev-certs https`", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_busy_port_is_one_line_exit_1_and_verbose_adds_the_details()
    {
        var occupied = new TcpListener(IPAddress.Loopback, 0);
        occupied.Start();
        try
        {
            var url = $"http://127.0.0.1:{((IPEndPoint)occupied.LocalEndpoint).Port}";

            var (code, _, error) = await ServeProcess.RunToExitAsync(["serve", "--home", Home, "--urls", url], Environment());

            Assert.Equal(1, code);
            Assert.Equal($"error: --urls {url}: the address is in use (another `minime serve`?); choose another with --urls or server.urls", Assert.Single(Lines(error)));

            var (verboseCode, _, verbose) = await ServeProcess.RunToExitAsync(["serve", "--home", Home, "--urls", url, "--verbose"], Environment());
            Assert.Equal(1, verboseCode);
            Assert.StartsWith($"error: --urls {url}: the address is in use", verbose, StringComparison.Ordinal);
            Assert.Contains("AddressInUseException", verbose, StringComparison.Ordinal);
            Assert.Matches(StackLine(), verbose);
        }
        finally
        {
            occupied.Stop();
        }
    }

    [Fact]
    public async Task An_address_of_another_machine_is_one_line()
    {
        var (code, _, error) = await ServeProcess.RunToExitAsync(["serve", "--home", Home, "--urls", "http://10.99.99.99:8002"], Environment());

        Assert.Equal(2, code);
        Assert.StartsWith("error: --urls http://10.99.99.99:8002: cannot listen there, the host is not an address of this machine", Assert.Single(Lines(error)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_model_is_one_warning_at_start_and_failed_chats_log_no_stack_trace()
    {
        var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();   // nothing listens there now
        var environment = Environment();
        environment["MINIME_LLM__PROVIDER"] = "openai";
        environment["MINIME_LLM__MODEL"] = "loopback-model";
        environment["MINIME_LLM__ENDPOINT"] = $"http://127.0.0.1:{port}/v1";
        environment["MINIME_LLM__MAXRETRIES"] = "0";
        var key = JsonDocument.Parse(await ServeProcess.RunAsync(["keys", "create", "startup", "--json", "--home", Home], environment))
            .RootElement.GetProperty("key").GetString()!;

        await using var serve = await ServeProcess.StartServeAsync(Home, environment);
        await serve.WaitForOutputAsync("Press Ctrl+C to stop.", TimeSpan.FromMinutes(1));
        var warning = Assert.Single(Lines(serve.Output), l => l.StartsWith("warning: the model is not reachable now", StringComparison.Ordinal));
        Assert.Contains($"http://127.0.0.1:{port}/v1/ (connection refused)", warning, StringComparison.Ordinal);

        using var client = new HttpClient { BaseAddress = serve.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await client.PostAsJsonAsync("/v1/chat", new { message = "hello" });
        var detail = await response.AssertProblemAsync(502);
        Assert.Contains("connection refused", detail, StringComparison.Ordinal);

        await serve.WaitForOutputAsync("POST /v1/chat answered 502", TimeSpan.FromMinutes(1));
        var logged = Assert.Single(Lines(serve.Output), l => l.Contains("POST /v1/chat answered 502", StringComparison.Ordinal));
        Assert.StartsWith("warn: ", logged, StringComparison.Ordinal);
        Assert.Contains("connection refused", logged, StringComparison.Ordinal);
        Assert.DoesNotMatch(StackLine(), serve.Output);
        Assert.DoesNotContain("--->", serve.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("fail:", serve.Output, StringComparison.Ordinal);
    }

    /// <summary>A self-signed server certificate for 127.0.0.1 (subject alternative name, server authentication).</summary>
    internal static X509Certificate2 SelfSigned(DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=MiniMe test server", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        return request.CreateSelfSigned(notBefore, notAfter);
    }

    private void WritePfx(X509Certificate2 certificate, string relative, string password)
    {
        var path = Path.Combine(Home, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pfx, password));
    }

    private void Configure(string yaml) => File.AppendAllText(Path.Combine(Home, "config.yaml"), "\n" + yaml);

    /// <summary>Validates the server as usual (chain, name, dates) against one root: the test's certificate.</summary>
    private static SocketsHttpHandler TrustingOnly(X509Certificate2 certificate)
    {
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        policy.CustomTrustStore.Add(X509CertificateLoader.LoadCertificate(certificate.RawData));
        return new SocketsHttpHandler { SslOptions = new SslClientAuthenticationOptions { CertificateChainPolicy = policy } };
    }

    private static List<string> Lines(string text) => [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    /// <summary>A .NET stack frame, on its own line ("   at X.Y(...)") or folded into a single-line log entry.</summary>
    [GeneratedRegex(@"(^|\s)at [A-Za-z_][\w.`<>\[\],]*\(", RegexOptions.Multiline)]
    private static partial Regex StackLine();
}
