using MiniMe.Context;
using MiniMe.Identity;
using MiniMe.Masks;

namespace MiniMe.Tests.Masks;

public sealed class EffectiveIdentityTests
{
    private static readonly IdentityDocument Identity = new()
    {
        Principles =
        [
            new Principle { Name = "clarity", Magnitude = 0.8 },
            new Principle { Name = "least privilege", Magnitude = 1.0, Scope = PrincipleScope.Domain, Target = "security" },
            new Principle { Name = "pixel perfect", Magnitude = 0.9, Scope = PrincipleScope.Domain, Target = "frontend" },
            new Principle { Name = "safe schema changes", Magnitude = 0.6, Scope = PrincipleScope.Task, Tags = ["migration", "schema"] },
            new Principle { Name = "small commits", Magnitude = 0.5, Scope = PrincipleScope.Task, Tags = ["git"] },
            new Principle { Name = "question assumptions", Magnitude = 1.0, Scope = PrincipleScope.Agent, Target = "critic" },
        ],
    };

    private static readonly MaskWeights Weights = new() { Alpha = 0.3, Beta = 0.2, Gamma = 0.1 };
    private static readonly TaskProfile SecurityTask = new(Domains.Security, 0.8, 0.5, []);

    [Fact]
    public void Blends_layers_with_mask_weights()
    {
        var result = EffectiveIdentity.Compute(Identity, SecurityTask, Weights, "Plan the migrations for the auth tables", agent: "critic");
        var byName = result.ToDictionary(w => w.Principle.Name);

        Assert.Equal(0.4 * 0.8, byName["clarity"].Weight, 6);
        Assert.Equal(0.3 * 1.0, byName["least privilege"].Weight, 6);
        Assert.Equal(0.2 * 0.6, byName["safe schema changes"].Weight, 6);
        Assert.Equal(0.1 * 1.0, byName["question assumptions"].Weight, 6);
        Assert.Equal(PrincipleScope.Domain, byName["least privilege"].Layer);
    }

    [Fact]
    public void Drops_principles_of_other_domains_tasks_and_agents()
    {
        var result = EffectiveIdentity.Compute(Identity, SecurityTask, Weights, "Rotate the signing keys", agent: "builder");
        var names = result.Select(w => w.Principle.Name).ToList();

        Assert.DoesNotContain("pixel perfect", names);
        Assert.DoesNotContain("small commits", names);
        Assert.DoesNotContain("safe schema changes", names);
        Assert.DoesNotContain("question assumptions", names);
        Assert.Contains("clarity", names);
        Assert.All(result, w => Assert.True(w.Weight > 0));
    }

    [Fact]
    public void Result_is_sorted_by_weight_descending_and_feeds_principle_blocks()
    {
        var result = EffectiveIdentity.Compute(Identity, SecurityTask, Weights, "schema migration", agent: "critic");

        Assert.Equal(result.OrderByDescending(w => w.Weight).Select(w => w.Weight), result.Select(w => w.Weight));
        var blocks = EffectiveIdentity.ToContextBlocks(result);
        Assert.All(blocks, b => Assert.Equal(ContextBlockKind.Principles, b.Kind));
        Assert.Equal(result[0].Weight, blocks[0].Weight);
        Assert.Equal("principle:" + result[0].Principle.Name, blocks[0].Id);
    }

    [Fact]
    public void Full_layer_weights_leave_nothing_for_global_principles()
    {
        var result = EffectiveIdentity.Compute(Identity, SecurityTask, new MaskWeights { Alpha = 0.6, Beta = 0.4, Gamma = 0 }, "anything");

        Assert.DoesNotContain(result, w => w.Layer == PrincipleScope.Global);
    }
}
