using Xunit.Sdk;

namespace MiniMe.Server.Tests.Support;

/// <summary>
/// [StoreFact] for this assembly: the same discoverer (linked from MiniMe.Tests), named here because
/// an attribute names its discoverer's assembly, so a class marked [RequiresPostgres] reports its
/// tests skipped, with the reason, when no PostgreSQL server is installed.
/// </summary>
[XunitTestCaseDiscoverer("MiniMe.Tests.Support.StoreFactDiscoverer", "MiniMe.Server.Tests")]
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class ContractFactAttribute : FactAttribute;
