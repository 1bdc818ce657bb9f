using MiniMe.Masks;

namespace MiniMe.Tests.Masks;

public sealed class HeuristicMaskPolicyTests
{
    private static readonly string[] Agents = [HeuristicMaskPolicy.Architect, HeuristicMaskPolicy.Builder, HeuristicMaskPolicy.Critic, HeuristicMaskPolicy.Integrator];
    private readonly HeuristicMaskPolicy _policy = new();

    private static TaskProfile Profile(string domain, double confidence, double complexity) => new(domain, confidence, complexity, []);

    [Fact]
    public void Invariants_hold_for_many_random_profiles()
    {
        var random = new Random(1234);
        var domains = Domains.All.Append("unknown-domain").ToArray();
        double[] edge = [double.NaN, -1, 0, 1, 2];
        for (var i = 0; i < 5_000; i++)
        {
            var confidence = i % 10 == 0 ? edge[random.Next(edge.Length)] : random.NextDouble();
            var complexity = i % 7 == 0 ? edge[random.Next(edge.Length)] : random.NextDouble();
            var w = _policy.Compute(Profile(domains[random.Next(domains.Length)], confidence, complexity));

            Assert.True(w.Alpha >= 0 && w.Beta >= 0 && w.Gamma >= 0);
            Assert.True(w.Alpha + w.Beta + w.Gamma <= 1.0, $"sum {w.Alpha + w.Beta + w.Gamma}");
            Assert.InRange(w.RetrievalK, 4, 12);
            Assert.InRange(w.Temperature, 0.1, 0.8);
            Assert.InRange(w.Rigor, 0.0, 1.0);
            Assert.InRange(w.RetrievalDomainWeight, 0.0, 1.0);
            Assert.InRange(w.RetrievalRecencyWeight, 0.0, 1.0);
            Assert.InRange(w.MaxIterations, 1, 3);
            Assert.Equal(Agents.Order(), w.AgentRouting.Keys.Order());
            Assert.All(w.AgentRouting.Values, v => Assert.InRange(v, 0.0, 1.0));
            Assert.Equal(1.0, w.AgentRouting[HeuristicMaskPolicy.Builder]);
            Assert.InRange(w.AgentRouting[HeuristicMaskPolicy.Integrator], 0.6, 1.0);
            Assert.True(Math.Abs(Math.Clamp(0.7 - (0.5 * w.Rigor), 0.1, 0.8) - w.Temperature) < 1e-3);
        }
    }

    [Fact]
    public void Security_task_raises_rigor_and_critic_weight()
    {
        var security = _policy.Compute(Profile(Domains.Security, 0.8, 0.4));
        var frontend = _policy.Compute(Profile(Domains.Frontend, 0.8, 0.4));

        Assert.True(security.Rigor > frontend.Rigor);
        Assert.True(security.AgentRouting[HeuristicMaskPolicy.Critic] > frontend.AgentRouting[HeuristicMaskPolicy.Critic]);
        Assert.True(security.Temperature < frontend.Temperature);
    }

    [Fact]
    public void General_domain_has_no_domain_layer_or_boost()
    {
        var w = _policy.Compute(Profile(Domains.General, 0.9, 0.5));

        Assert.Equal(0, w.Alpha);
        Assert.Equal(0, w.RetrievalDomainWeight);
    }

    [Fact]
    public void Alpha_and_domain_weight_grow_with_confidence()
    {
        var low = _policy.Compute(Profile(Domains.Backend, 0.2, 0.3));
        var high = _policy.Compute(Profile(Domains.Backend, 0.9, 0.3));

        Assert.True(high.Alpha > low.Alpha);
        Assert.True(high.RetrievalDomainWeight > low.RetrievalDomainWeight);
    }

    [Fact]
    public void Complexity_raises_beta_retrieval_iterations_and_architect()
    {
        var trivial = _policy.Compute(Profile(Domains.Docs, 0.6, 0.05));
        var complex = _policy.Compute(Profile(Domains.Docs, 0.6, 0.95));

        Assert.True(complex.Beta > trivial.Beta);
        Assert.Equal(4, trivial.RetrievalK);
        Assert.Equal(12, complex.RetrievalK);
        Assert.Equal(1, trivial.MaxIterations);
        Assert.Equal(3, complex.MaxIterations);
        Assert.True(trivial.AgentRouting[HeuristicMaskPolicy.Architect] < 0.2, "architect skipped for trivial tasks");
        Assert.True(complex.AgentRouting[HeuristicMaskPolicy.Architect] > 0.8);
    }

    [Fact]
    public void Layer_weights_are_scaled_to_leave_room_for_the_global_layer()
    {
        var w = _policy.Compute(Profile(Domains.Security, 1, 1));

        Assert.True(w.Alpha + w.Beta + w.Gamma <= 0.85 + 1e-9);
        Assert.True(w.Alpha > 0.3 && w.Beta > 0.3, "both layers still matter after scaling");
    }

    [Fact]
    public void Classifier_and_policy_together_treat_a_typo_lightly_and_a_migration_heavily()
    {
        var classifier = new KeywordTaskClassifier();
        var typo = _policy.Compute(classifier.Classify("Fix a typo in the README"));
        var plan = _policy.Compute(classifier.Classify(
            "Design the architecture for a distributed, multi-tenant migration of the orders database; then migrate with zero downtime and refactor the services end-to-end."));

        Assert.True(typo.RetrievalK < plan.RetrievalK);
        Assert.True(typo.MaxIterations < plan.MaxIterations);
        Assert.True(typo.AgentRouting[HeuristicMaskPolicy.Architect] < 0.2);
        Assert.True(plan.AgentRouting[HeuristicMaskPolicy.Architect] >= 0.2);
    }

    [Fact]
    public void Name_is_heuristic_v1() => Assert.Equal("heuristic-v1", _policy.Name);
}
