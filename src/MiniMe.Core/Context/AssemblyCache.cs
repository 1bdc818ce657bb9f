using System.Security.Cryptography;
using System.Text;

namespace MiniMe.Context;

/// <summary>Bounded, time-windowed cache of assemblies keyed by a SHA-256 of the request content; evicts expired, then oldest-inserted entries.</summary>
internal sealed class AssemblyCache
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (ContextAssembly Assembly, DateTimeOffset At, long Seq)> _entries = new(StringComparer.Ordinal);
    private readonly TimeSpan _window;
    private readonly int _capacity;
    private long _seq;

    public AssemblyCache(TimeSpan window, int capacity)
    {
        _window = window;
        _capacity = capacity;
    }

    public bool Enabled => _window > TimeSpan.Zero && _capacity > 0;

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    public bool TryGet(string key, DateTimeOffset now, out ContextAssembly assembly)
    {
        lock (_gate)
        {
            if (_entries.TryGetValue(key, out var e))
            {
                if (now - e.At < _window && now >= e.At)
                {
                    assembly = e.Assembly;
                    return true;
                }

                _entries.Remove(key);
            }
        }

        assembly = null!;
        return false;
    }

    public void Add(string key, ContextAssembly assembly, DateTimeOffset now)
    {
        lock (_gate)
        {
            if (_entries.Count >= _capacity && !_entries.ContainsKey(key))
            {
                foreach (var expired in _entries.Where(kv => now - kv.Value.At >= _window).Select(kv => kv.Key).ToList())
                {
                    _entries.Remove(expired);
                }

                while (_entries.Count >= _capacity)
                {
                    var oldest = _entries.MinBy(kv => kv.Value.Seq).Key;
                    _entries.Remove(oldest);
                }
            }

            _entries[key] = (assembly, now, ++_seq);
        }
    }

    /// <summary>Hash of budget and every block's id, kind, weight and text, in order.</summary>
    public static string KeyOf(ContextRequest request)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> num = stackalloc byte[8];
        BitConverter.TryWriteBytes(num, (long)request.BudgetTokens);
        hash.AppendData(num);
        BitConverter.TryWriteBytes(num, (long)request.Blocks.Count);
        hash.AppendData(num);
        foreach (var b in request.Blocks)
        {
            BitConverter.TryWriteBytes(num, (long)b.Kind);
            hash.AppendData(num);
            BitConverter.TryWriteBytes(num, b.Weight);
            hash.AppendData(num);
            AppendString(hash, b.Id, num);
            AppendString(hash, b.Text, num);
        }

        return Convert.ToHexString(hash.GetHashAndReset());
    }

    private static void AppendString(IncrementalHash hash, string s, Span<byte> num)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        BitConverter.TryWriteBytes(num, (long)bytes.Length);
        hash.AppendData(num);
        hash.AppendData(bytes);
    }
}
