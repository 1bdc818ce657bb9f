using System.Collections.Concurrent;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace MiniMe.Tracing;

/// <summary>
/// The traces folder: one JSON Lines file per run. A line is written (one write call, in order) before
/// <see cref="Append"/> returns; fsync is group-committed: a run's first line not yet on disk schedules
/// an fsync in the background <see cref="CommitDelay"/> later, and the lines appended until it starts,
/// or while it runs, are covered by it or by the next one, so a burst of lines costs one fsync or two
/// instead of one each. <see cref="Flush"/> / <see cref="FlushAsync"/> wait for an
/// fsync that covers every line appended before the call. A run's file stays open while it has lines
/// not yet on disk and is closed when the last fsync finds nothing new. A line torn by a crash mid-write
/// (no trailing newline, from this or another process) is closed before the next line is written, so the
/// torn line stays unreadable and is skipped by readers, and the new one is never lost.
/// </summary>
public sealed class FileTraceLog(string directory) : ITraceLog
{
    // Process-wide, by full path: two logs over one folder (the CLI's and a tool host's) share a run's file and its order.
    private static readonly ConcurrentDictionary<string, RunFile> Open = new(StringComparer.Ordinal);

    /// <summary>
    /// How long after a run's first line not yet on disk the background fsync starts, unless a flush
    /// asks sooner: the lines appended meanwhile share it (a team run at model speed zero flushes first
    /// and pays one fsync; a run waiting on a real model has its lines on disk this long after they were
    /// written, plus the fsync).
    /// </summary>
    public static readonly TimeSpan CommitDelay = TimeSpan.FromMilliseconds(20);

    public string Directory { get; } = Path.GetFullPath(directory);

    public string Location => Directory;

    public string LocationOf(string runId) => Path.Combine(Directory, runId + ".jsonl");

    public bool Exists(string runId) => File.Exists(LocationOf(runId));

    public void Append(string runId, string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        var bytes = Encoding.UTF8.GetBytes(line + "\n");
        var path = LocationOf(runId);
        while (true)
        {
            var file = Open.GetOrAdd(path, static p => new RunFile(p));
            if (file.TryWrite(bytes)) return;
            // It was closed between the look-up and the write: the next look-up opens a new one.
        }
    }

    public void Flush(string runId)
    {
        if (Open.TryGetValue(LocationOf(runId), out var file)) file.Flush();
    }

    public ValueTask FlushAsync(string runId, CancellationToken cancellationToken = default) =>
        Open.TryGetValue(LocationOf(runId), out var file) ? file.FlushAsync(cancellationToken) : ValueTask.CompletedTask;

    public IReadOnlyList<string>? ReadLines(string runId)
    {
        var path = LocationOf(runId);
        return File.Exists(path) ? File.ReadAllLines(path) : null;
    }

    public IEnumerable<string> RunIds() =>
        System.IO.Directory.Exists(Directory)
            ? System.IO.Directory.EnumerateFiles(Directory, "*.jsonl").Select(p => Path.GetFileNameWithoutExtension(p)!)
            : [];

    /// <summary>One run's open file: the write order, what is written and what is on disk.</summary>
    private sealed class RunFile(string path)
    {
        private readonly Lock _gate = new();
        private SafeFileHandle? _handle;
        private Timer? _timer;
        private long _length = -1;   // the file's length after this process's last write; -1: not known
        private long _written;       // lines written
        private long _synced;        // lines known to be on disk
        private bool _closed;
        private bool _running;       // a thread is in Sync
        private TaskCompletionSource? _sync;   // the next fsync (due or running; null: none); completes when it ends

        /// <summary>Writes the line; false when this file was closed (the caller opens a new one).</summary>
        public bool TryWrite(byte[] bytes)
        {
            lock (_gate)
            {
                if (_closed) return false;
                if (_handle is null)
                {
                    System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                    // O_APPEND: every write lands at the end, even with another process appending at the same time.
                    _handle = File.OpenHandle(path, FileMode.Append, FileAccess.Write, FileShare.Read);
                }
                var length = RandomAccess.GetLength(_handle);
                if (length != _length && length > 0 && !EndsWithNewline(path, length))
                {
                    RandomAccess.Write(_handle, "\n"u8, length);
                    length++;
                }
                RandomAccess.Write(_handle, bytes, length);
                _length = length + bytes.Length;
                _written++;
                if (_sync is not null) return true;   // an fsync is due or running; the loop covers this line after it
                _sync = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                // The commit delay: lines appended meanwhile share the fsync, and a run that flushes sooner takes it over.
                _timer ??= new Timer(static file => ((RunFile)file!).OnCommitDelay(), this, Timeout.Infinite, Timeout.Infinite);
                _timer.Change(CommitDelay, Timeout.InfiniteTimeSpan);
                return true;
            }
        }

        private void OnCommitDelay()
        {
            lock (_gate)
            {
                if (_running || _sync is null) return;   // a flush took it over
                _running = true;
            }
            Sync();
        }

        /// <summary>Waits for the lines written before the call; when no fsync is running, runs it on this thread.</summary>
        public void Flush()
        {
            var target = -1L;
            Task? wait;
            while ((wait = NextWait(ref target, out var lead)) is not null)
            {
                if (lead) Sync();
                wait.GetAwaiter().GetResult();   // throws when that fsync failed
            }
        }

        public async ValueTask FlushAsync(CancellationToken cancellationToken)
        {
            var target = -1L;
            Task? wait;
            while ((wait = NextWait(ref target, out var lead)) is not null)
            {
                if (lead) Sync();   // fsync on this thread, as the floor does: no hop to the thread pool
                await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        /// <summary>
        /// What a flush waits for: null once the lines written when it began (<paramref name="target"/>,
        /// set on the first call) are on disk; else the next fsync, which the caller must run when no
        /// thread is running one (<paramref name="lead"/>).
        /// </summary>
        private Task? NextWait(ref long target, out bool lead)
        {
            lock (_gate)
            {
                lead = false;
                if (target < 0) target = _written;
                if (_synced >= target) return null;
                _sync ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                if (!_running)
                {
                    _running = true;
                    lead = true;
                }
                return _sync.Task;
            }
        }

        /// <summary>fsync until nothing written is left unsynced; each round covers the lines written before it began.</summary>
        private void Sync()
        {
            while (true)
            {
                SafeFileHandle handle;
                long target;
                lock (_gate)
                {
                    handle = _handle!;
                    target = _written;
                }
                Exception? failure = null;
                try
                {
                    RandomAccess.FlushToDisk(handle);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException)
                {
                    failure = e;
                }
                TaskCompletionSource done;
                var again = false;
                lock (_gate)
                {
                    done = _sync!;
                    if (failure is null) _synced = Math.Max(_synced, target);
                    if (failure is null && _written > _synced)
                    {
                        _sync = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                        again = true;
                    }
                    else
                    {
                        _sync = null;
                        _running = false;
                        if (_written == _synced) Close();
                    }
                }
                if (failure is null) done.TrySetResult();
                else done.TrySetException(new IOException($"Could not flush the trace {path} to disk: {failure.Message}", failure));
                if (!again) return;
            }
        }

        /// <summary>Under the gate, with every line on disk: the next append opens the file anew.</summary>
        private void Close()
        {
            _closed = true;
            _timer?.Dispose();
            _handle?.Dispose();
            _handle = null;
            Open.TryRemove(new KeyValuePair<string, RunFile>(path, this));
        }

        /// <summary>Reads only the last byte (an append handle cannot read).</summary>
        private static bool EndsWithNewline(string path, long length)
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            Span<byte> last = stackalloc byte[1];
            return RandomAccess.Read(handle, last, length - 1) == 1 && last[0] == (byte)'\n';
        }
    }
}
