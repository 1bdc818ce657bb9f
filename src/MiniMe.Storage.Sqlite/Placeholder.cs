namespace MiniMe.Storage.Sqlite; internal static class Placeholder { }
