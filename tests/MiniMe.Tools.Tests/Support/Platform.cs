// These tests exercise POSIX behaviour (symlinks, file modes, process groups, /proc, bubblewrap).
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
