using Xunit.Abstractions;
using Xunit.Sdk;

namespace MiniMe.Tests.Support;

/// <summary>
/// A fact in a shared contract suite. It runs like [Fact], except that a concrete test class marked
/// with a <see cref="ISkipCondition"/> attribute whose reason is set gets the test reported as
/// skipped with that reason (xUnit 2 has no run-time skip).
/// </summary>
[XunitTestCaseDiscoverer("MiniMe.Tests.Support.StoreFactDiscoverer", "MiniMe.Tests")]
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class StoreFactAttribute : FactAttribute;

public interface ISkipCondition
{
    string? SkipReason { get; }
}

/// <summary>Skips the class's contract tests when no PostgreSQL server (or, with <see cref="Pgvector"/>, no pgvector) is installed.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class RequiresPostgresAttribute : Attribute, ISkipCondition
{
    public bool Pgvector { get; init; }

    public string? SkipReason => Pgvector ? PostgresBinaries.PgvectorSkipReason : PostgresBinaries.SkipReason;
}

public sealed class StoreFactDiscoverer(IMessageSink diagnosticMessageSink) : FactDiscoverer(diagnosticMessageSink)
{
    protected override IXunitTestCase CreateTestCase(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute)
    {
        var type = (testMethod.TestClass.Class as IReflectionTypeInfo)?.Type;
        var reason = type?.GetCustomAttributes(inherit: true).OfType<ISkipCondition>().Select(c => c.SkipReason).FirstOrDefault(r => r is not null);
        return reason is null
            ? base.CreateTestCase(discoveryOptions, testMethod, factAttribute)
            : new XunitSkippedDataRowTestCase(DiagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(), discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod, reason);
    }
}
