namespace MiniMe.Tools.Trust;

/// <summary>How a workspace came to be trusted.</summary>
public enum TrustSource
{
    /// <summary>`minime init` created it on this machine.</summary>
    Init,
    /// <summary>The user reviewed it and ran `minime trust`.</summary>
    User,
}

/// <summary>
/// One trusted workspace in the trust file: its real path (the key), what its tools were allowed to
/// do at that moment (<see cref="WorkspaceFingerprint"/>), when and how it was trusted.
/// </summary>
public sealed record TrustEntry(WorkspaceFingerprint Fingerprint, DateTimeOffset TrustedAt, TrustSource How)
{
    public string Workspace => Fingerprint.Workspace;

    /// <summary>"`minime init` created it on 2025-06-01" or "you trusted it on 2025-06-01", for messages.</summary>
    public string Since => How == TrustSource.Init
        ? $"`minime init` created it on {Date}"
        : $"you trusted it on {Date}";

    public string Date => TrustedAt.ToLocalTime().ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
}
