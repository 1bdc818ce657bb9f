using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MiniMe.Configuration;

namespace MiniMe.Server;

/// <summary>
/// The certificate Kestrel presents on https URLs: server.certificate (a PKCS#12 file, or a PEM
/// certificate with its key in server.certificateKey or the same file; the password from the
/// environment variable server.certificatePasswordVariable names), else the .NET development
/// certificate. Every problem is one <see cref="InvalidSettingsException"/> line naming the file and
/// what is wrong with it; a certificate outside its validity period is a warning, not a failure.
/// </summary>
public sealed class ServerCertificate
{
    /// <summary>The extension `dotnet dev-certs https` marks its certificate with (ASP.NET Core's CertificateManager).</summary>
    public const string DevelopmentCertificateOid = "1.3.6.1.4.1.311.84.1.1";

    private ServerCertificate(X509Certificate2 certificate, string source, IReadOnlyList<string> warnings)
    {
        Certificate = certificate;
        Source = source;
        Warnings = warnings;
    }

    public X509Certificate2 Certificate { get; }

    /// <summary>Where it came from: the file, or "the .NET development certificate".</summary>
    public string Source { get; }

    /// <summary>Problems that do not stop the server (expired, not yet valid), one line each.</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>The https URLs among the ';'-separated <paramref name="urls"/>.</summary>
    public static IReadOnlyList<string> HttpsUrls(string urls)
    {
        ArgumentNullException.ThrowIfNull(urls);
        return [.. urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(u => u.StartsWith("https://", StringComparison.OrdinalIgnoreCase))];
    }

    /// <summary>The certificate for <paramref name="httpsUrl"/> (named in the error when there is none).</summary>
    /// <param name="environment">Reads the password variable; null: the process environment.</param>
    /// <param name="developmentCertificate">Finds the development certificate; null: the current user's store.</param>
    public static ServerCertificate Resolve(
        Workspace workspace, ServerOptions server, string httpsUrl,
        Func<string, string?>? environment = null, Func<X509Certificate2?>? developmentCertificate = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        ArgumentNullException.ThrowIfNull(server);
        environment ??= Environment.GetEnvironmentVariable;
        var now = (time ?? TimeProvider.System).GetUtcNow().UtcDateTime;
        if (string.IsNullOrWhiteSpace(server.Certificate))
        {
            var development = (developmentCertificate ?? FindDevelopmentCertificate)()
                ?? throw new InvalidSettingsException([
                    $"{httpsUrl} needs a certificate: set server.certificate (a .pfx/.p12 file, or a PEM .crt/.pem with server.certificateKey; its password in ${server.CertificatePasswordVariable}) or run `dotnet dev-certs https` for the .NET development certificate"]);
            return new ServerCertificate(development, "the .NET development certificate", Validity(development, "the .NET development certificate", now));
        }

        var path = Path.GetFullPath(server.Certificate, workspace.Root);
        var certificate = Load(workspace, server, path, environment(server.CertificatePasswordVariable));
        if (!certificate.HasPrivateKey)
        {
            certificate.Dispose();
            throw Bad(path, "has no private key; export the certificate with its key (.pfx), or set server.certificateKey to the PEM key file");
        }
        return new ServerCertificate(certificate, path, Validity(certificate, $"server.certificate: {path}", now));
    }

    /// <summary>The newest valid development certificate with its key in the current user's store, if any.</summary>
    public static X509Certificate2? FindDevelopmentCertificate()
    {
        try
        {
            using var store = new X509Store(StoreName.My, StoreLocation.CurrentUser);
            store.Open(OpenFlags.ReadOnly | OpenFlags.OpenExistingOnly);
            var now = DateTime.Now;
            X509Certificate2? best = null;
            foreach (var candidate in store.Certificates)
            {
                var fits = candidate.HasPrivateKey && candidate.NotBefore <= now && now <= candidate.NotAfter &&
                    candidate.Extensions.Any(e => e.Oid?.Value == DevelopmentCertificateOid);
                if (fits && (best is null || candidate.NotAfter > best.NotAfter))
                {
                    best?.Dispose();
                    best = candidate;
                }
                else
                {
                    candidate.Dispose();
                }
            }
            return best;
        }
        catch (CryptographicException)
        {
            return null; // no store for this user: no development certificate
        }
    }

    private static X509Certificate2 Load(Workspace workspace, ServerOptions server, string path, string? password)
    {
        if (!File.Exists(path)) throw Bad(path, Directory.Exists(path) ? "is a folder, not a certificate file" : "does not exist");
        var variable = server.CertificatePasswordVariable;
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Bad(path, $"cannot be read ({e.Message})", e);
        }

        var text = System.Text.Encoding.ASCII.GetString(bytes);
        if (!text.Contains("-----BEGIN ", StringComparison.Ordinal))
        {
            var type = ContentType(bytes);
            if (type == X509ContentType.Cert)
                throw Bad(path, "is a certificate without its private key (DER); use a .pfx/.p12 with the key, or a PEM certificate with server.certificateKey");
            if (type != X509ContentType.Pkcs12)
                throw Bad(path, "is not a certificate: expected a PKCS#12 file (.pfx/.p12) or a PEM certificate (-----BEGIN CERTIFICATE-----)");
            try
            {
                return X509CertificateLoader.LoadPkcs12(bytes, password);
            }
            catch (CryptographicException e)
            {
                throw Bad(path, password is null
                    ? $"could not be opened without a password (${variable} is not set); put the password in ${variable} (server.certificatePasswordVariable)"
                    : $"could not be opened with the password in ${variable}: wrong password, or a damaged file", e);
            }
        }

        if (!text.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal))
            throw Bad(path, "is a PEM file without a certificate (-----BEGIN CERTIFICATE-----); server.certificate is the certificate, server.certificateKey its key");
        var keyPath = server.CertificateKey is { } key ? Path.GetFullPath(key, workspace.Root) : null;
        if (keyPath is not null && !File.Exists(keyPath))
            throw new InvalidSettingsException([$"server.certificateKey: {keyPath} does not exist"]);
        var keyText = keyPath is null ? text : File.ReadAllText(keyPath);
        var keyName = keyPath is null ? $"server.certificate: {path}" : $"server.certificateKey: {keyPath}";
        if (!keyText.Contains("PRIVATE KEY-----", StringComparison.Ordinal))
            throw new InvalidSettingsException([keyPath is null
                ? $"server.certificate: {path} holds no private key; set server.certificateKey to the PEM key file"
                : $"{keyName} holds no private key (-----BEGIN PRIVATE KEY-----)"]);
        var encrypted = keyText.Contains("-----BEGIN ENCRYPTED PRIVATE KEY-----", StringComparison.Ordinal);
        if (encrypted && password is null)
            throw new InvalidSettingsException([$"{keyName}: the private key is encrypted and ${variable} is not set; put its password there (server.certificatePasswordVariable)"]);
        try
        {
            return encrypted ? X509Certificate2.CreateFromEncryptedPemFile(path, password, keyPath) : X509Certificate2.CreateFromPemFile(path, keyPath);
        }
        catch (CryptographicException e)
        {
            throw new InvalidSettingsException([encrypted
                ? $"{keyName}: the private key could not be decrypted with the password in ${variable}, or it does not belong to the certificate"
                : $"{keyName}: the private key could not be read, or it does not belong to the certificate {path}"], e);
        }
        catch (ArgumentException e)
        {
            throw new InvalidSettingsException([$"{keyName}: the certificate or key is not valid PEM ({e.Message})"], e);
        }
    }

    /// <summary>What the bytes are; Unknown for anything that is no certificate (OpenSSL throws then).</summary>
    private static X509ContentType ContentType(byte[] bytes)
    {
        try
        {
            return X509Certificate2.GetCertContentType(bytes);
        }
        catch (CryptographicException)
        {
            return X509ContentType.Unknown;
        }
    }

    private static List<string> Validity(X509Certificate2 certificate, string name, DateTime now)
    {
        var warnings = new List<string>();
        var notAfter = certificate.NotAfter.ToUniversalTime();
        var notBefore = certificate.NotBefore.ToUniversalTime();
        if (now > notAfter)
            warnings.Add($"{name} expired on {notAfter.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}; clients will refuse it until it is renewed");
        else if (now < notBefore)
            warnings.Add($"{name} is valid only from {notBefore.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC; clients will refuse it until then");
        return warnings;
    }

    private static InvalidSettingsException Bad(string path, string problem, Exception? inner = null) =>
        new([$"server.certificate: {path} {problem}"], inner);
}
