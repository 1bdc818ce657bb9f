using MiniMe.Masks;
using MiniMe.Masks.Learned;

namespace MiniMe.Server.Tests;

/// <summary>The learned policy's network and heads: every output lands in its field's range, and the weights file round-trips.</summary>
public sealed class MaskNetworkTests
{
    [Fact]
    public void Any_network_on_any_features_gives_weights_within_each_fields_range()
    {
        var random = new Random(3);
        for (var seed = 0; seed < 25; seed++)
        {
            var network = MaskNetwork.Create(MaskFeatures.Count, 16, MaskHeads.Count, seed);
            // Large weights push every head towards its bounds.
            var bytes = network.ToBytes();
            for (var b = 0; b < bytes.Length; b += 4) BitConverter.GetBytes(BitConverter.ToSingle(bytes, b) * 25).CopyTo(bytes, b);
            var scaled = MaskNetwork.FromBytes(bytes, MaskFeatures.Count, 16, MaskHeads.Count)!;
            for (var i = 0; i < 40; i++)
            {
                var profile = new TaskProfile(Domains.All[random.Next(Domains.All.Count)], random.NextDouble(), random.NextDouble(), []);
                var context = new MaskContext(random.Next(0, 40), random.NextDouble(), random.Next(0, 8));
                foreach (var net in new[] { network, scaled })
                {
                    var w = new LearnedMaskPolicy(new LoadedModel(Manifest(), net, "")).Decide(profile, context).Weights;
                    Assert.True(w.Alpha + w.Beta + w.Gamma <= 1, $"{w.Alpha} + {w.Beta} + {w.Gamma}");
                    Assert.All(new[] { w.Alpha, w.Beta, w.Gamma, w.RetrievalDomainWeight, w.Temperature, w.Rigor }, v => Assert.InRange(v, 0, 1));
                    Assert.InRange(w.RetrievalRecencyWeight, 0, 0.5);
                    Assert.InRange(w.RetrievalK, 1, 24);
                    Assert.InRange(w.MaxIterations, 1, 5);
                    Assert.Equal(1.0, w.AgentRouting[HeuristicMaskPolicy.Builder]);
                    Assert.All(w.AgentRouting.Values, v => Assert.InRange(v, 0, 1));
                }
            }
        }
    }

    [Fact]
    public void The_weights_file_round_trips_and_a_wrong_length_or_a_non_finite_value_is_refused()
    {
        var network = MaskNetwork.Create(MaskFeatures.Count, 16, MaskHeads.Count, 11);
        var bytes = network.ToBytes();
        Assert.Equal(MaskNetwork.ParameterCount(MaskFeatures.Count, 16, MaskHeads.Count) * 4, bytes.Length);
        var back = MaskNetwork.FromBytes(bytes, MaskFeatures.Count, 16, MaskHeads.Count)!;
        Assert.Equal(network.Sha256(), back.Sha256());
        Assert.Null(MaskNetwork.FromBytes(bytes.AsSpan(0, bytes.Length - 4), MaskFeatures.Count, 16, MaskHeads.Count));
        var nan = (byte[])bytes.Clone();
        BitConverter.GetBytes(float.NaN).CopyTo(nan, 0);
        Assert.Null(MaskNetwork.FromBytes(nan, MaskFeatures.Count, 16, MaskHeads.Count));
        Assert.NotEqual(network.Sha256(), MaskNetwork.Create(MaskFeatures.Count, 16, MaskHeads.Count, 12).Sha256());
    }

    [Fact]
    public void Feature_vector_is_the_documented_one_hot_profile_and_identity_values()
    {
        var x = MaskFeatures.Of(new TaskProfile(Domains.Security, 0.8, 0.4, []), new MaskContext(10, 0.7, 10));
        Assert.Equal(MaskFeatures.Count, x.Length);
        Assert.Equal(1f, x[Domains.All.ToList().IndexOf(Domains.Security)]);
        Assert.Equal(1f, x.Take(Domains.All.Count).Sum());
        Assert.Equal([0.8f, 0.4f, 0.5f, 0.7f, 1f], x.Skip(Domains.All.Count));
        var unknown = MaskFeatures.Of(new TaskProfile("cooking", 0.5, 0.5, []), MaskContext.None);
        Assert.Equal(1f, unknown[Domains.All.Count - 1]);
    }

    private static ModelManifest Manifest() => new()
    {
        Version = "mask-v1",
        Created = DateTimeOffset.UnixEpoch,
        Features = MaskFeatures.Names,
        Outputs = [.. MaskHeads.All.Select(h => h.Name)],
        Hidden = 16,
        Seed = 0,
        Epochs = 0,
        EpochsRun = 0,
        BestEpoch = 0,
        Data = new ModelDataCounts(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
        Train = new MaskMetrics(0, new Dictionary<string, double>()),
        Validation = new MaskMetrics(0, new Dictionary<string, double>()),
        Baseline = new MaskMetrics(0, new Dictionary<string, double>()),
        WeightsSha256 = "",
    };
}
