namespace MiniMe; internal static class Placeholder { }
