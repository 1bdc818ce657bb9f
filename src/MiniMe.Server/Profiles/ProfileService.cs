using System.Collections.Concurrent;
using System.Globalization;
using MiniMe.Configuration;
using MiniMe.Hosting.Users;
using MiniMe.Identity;

namespace MiniMe.Server.Profiles;

/// <summary>
/// A user's profile (identity.yaml) for both faces, `PUT /v1/profile` and `minime profile`: read it,
/// update it (validated, every problem at once; comments kept, <see cref="IdentityYamlWriter"/>), and
/// undo. Before identity.yaml is replaced, the file as it was is kept in identity.history/ next to
/// it (one {UTC time}.yaml per replaced version, the newest <see cref="KeepVersions"/> kept); undo
/// puts the newest kept version back, byte for byte, and removes it from the history, so undoing
/// again goes one further back.
/// </summary>
public sealed class ProfileService(TimeProvider time)
{
    public const int KeepVersions = 20;
    public const string HistoryFolder = "identity.history";
    private const string StampFormat = "yyyyMMdd'T'HHmmssfff'Z'";

    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new(StringComparer.Ordinal);

    public Profile Get(UserSpace user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return Profile.Of(user.UserId, user.LoadIdentity());
    }

    /// <summary>Merges the update over the current profile, validates it and writes it; the version replaced joins the history.</summary>
    public async Task<Profile> UpdateAsync(UserSpace user, ProfileBody body, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(body);
        var gate = Gate(user);
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var current = Profile.Of(user.UserId, user.LoadIdentity());
            var persona = body.Persona is not { } p ? current.Persona : new ProfilePersona(
                p.Voice ?? current.Persona.Voice,
                p.Tone ?? current.Persona.Tone,
                p.StyleRules ?? current.Persona.StyleRules,
                p.Values ?? current.Persona.Values);
            var identity = ProfileValidator.Build(persona, body.Principles ?? current.Principles);
            var previous = File.Exists(user.IdentityPath) ? await File.ReadAllTextAsync(user.IdentityPath, cancellationToken).ConfigureAwait(false) : null;
            var yaml = IdentityYamlWriter.Write(identity, previous);
            var parsed = IdentityLoader.Parse(yaml, user.IdentityPath);   // what the next run reads
            if (!Same(parsed, identity))
                throw new InvalidOperationException("identity.yaml as written would not read back as the profile sent");
            if (previous == yaml) return Profile.Of(user.UserId, parsed);
            if (previous is not null) Keep(user, previous);
            Replace(user, yaml);
            return Profile.Of(user.UserId, parsed);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Puts the newest kept version back; <see cref="NothingToUndoException"/> (409) when none is kept.</summary>
    public async Task<Profile> UndoAsync(UserSpace user, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        var gate = Gate(user);
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var newest = Versions(user).FirstOrDefault()
                ?? throw new NothingToUndoException("There is no earlier profile to go back to: identity.yaml has not been replaced by PUT /v1/profile or `minime profile` (or every kept version was undone).");
            var yaml = await File.ReadAllTextAsync(newest.Path, cancellationToken).ConfigureAwait(false);
            IdentityDocument restored;
            try
            {
                restored = IdentityLoader.Parse(yaml, newest.Path);
            }
            catch (ConfigException e)
            {
                throw new InvalidInputException($"The kept version {newest.Id} is not a valid identity ({e.Message}); fix or delete {newest.Path}.", e);
            }
            Replace(user, yaml);
            File.Delete(newest.Path);
            return Profile.Of(user.UserId, restored);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>The kept versions, newest first.</summary>
    public IReadOnlyList<ProfileVersion> History(UserSpace user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return Versions(user);
    }

    public static string HistoryDirectory(UserSpace user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return Path.Combine(Path.GetDirectoryName(user.IdentityPath)!, HistoryFolder);
    }

    private static List<ProfileVersion> Versions(UserSpace user)
    {
        var directory = HistoryDirectory(user);
        if (!Directory.Exists(directory)) return [];
        var versions = new List<ProfileVersion>();
        foreach (var path in Directory.EnumerateFiles(directory, "*.yaml"))
        {
            var id = Path.GetFileNameWithoutExtension(path);
            if (!DateTimeOffset.TryParseExact(id.Split('-')[0], StampFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)) continue;
            IdentityDocument? identity;
            try
            {
                identity = IdentityLoader.Load(path);
            }
            catch (ConfigException)
            {
                identity = null;
            }
            versions.Add(new ProfileVersion(id, at, identity?.Persona.Voice ?? "(not a valid identity)", identity?.Persona.Tone ?? "", identity?.Principles.Count ?? 0, path));
        }
        return [.. versions.OrderByDescending(v => v.Id, StringComparer.Ordinal)];
    }

    private void Keep(UserSpace user, string previous)
    {
        var directory = HistoryDirectory(user);
        Directory.CreateDirectory(directory);
        var stamp = time.GetUtcNow().UtcDateTime.ToString(StampFormat, CultureInfo.InvariantCulture);
        var path = Path.Combine(directory, stamp + ".yaml");
        for (var n = 1; File.Exists(path); n++) path = Path.Combine(directory, $"{stamp}-{n:D3}.yaml");
        File.WriteAllText(path, previous);
        foreach (var old in Versions(user).Skip(KeepVersions)) File.Delete(old.Path);
    }

    private static void Replace(UserSpace user, string yaml)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(user.IdentityPath)!);
        var temporary = user.IdentityPath + ".tmp";
        File.WriteAllText(temporary, yaml);
        File.Move(temporary, user.IdentityPath, overwrite: true);
        user.IdentityWritten();
    }

    private SemaphoreSlim Gate(UserSpace user) => _locks.GetOrAdd(Path.GetFullPath(user.IdentityPath), _ => new SemaphoreSlim(1, 1));

    private static bool Same(IdentityDocument a, IdentityDocument b) =>
        a.Persona.Voice == b.Persona.Voice && a.Persona.Tone == b.Persona.Tone
        && a.Persona.StyleRules.SequenceEqual(b.Persona.StyleRules) && a.Persona.Values.SequenceEqual(b.Persona.Values)
        && a.Principles.Count == b.Principles.Count
        && a.Principles.Zip(b.Principles).All(x => x.First.Name == x.Second.Name && x.First.Description == x.Second.Description
            && Math.Abs(x.First.Magnitude - x.Second.Magnitude) < 0.0005 && x.First.Scope == x.Second.Scope && x.First.Target == x.Second.Target
            && x.First.Tags.SequenceEqual(x.Second.Tags));
}
