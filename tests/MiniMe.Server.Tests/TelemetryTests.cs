using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MiniMe.Context;
using MiniMe.ModelCalls;
using MiniMe.Testing;

namespace MiniMe.Server.Tests;

/// <summary>OTLP export of MiniMe's spans and metrics, switched on by OTEL_EXPORTER_OTLP_ENDPOINT, to a collector on loopback.</summary>
[Trait("Category", "Integration")]
public sealed class TelemetryTests
{
    [Fact]
    public void Without_an_otlp_endpoint_nothing_is_exported()
    {
        Assert.False(MiniMeTelemetry.OtlpEnabled(_ => null));
        Assert.Null(MiniMeTelemetry.StartOtlpExport(_ => null));
    }

    [Fact]
    public async Task With_an_otlp_endpoint_model_call_spans_and_metrics_reach_the_collector()
    {
        var received = new ConcurrentQueue<(string Path, byte[] Body)>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        await using var collector = builder.Build();
        collector.MapPost("/v1/{signal}", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            received.Enqueue((context.Request.Path.Value!, body.ToArray()));
            return Results.Ok();
        });
        await collector.StartAsync();
        var endpoint = collector.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        var modelId = "otlp-model-" + Guid.NewGuid().ToString("N")[..8];
        var environment = new Dictionary<string, string>
        {
            [MiniMeTelemetry.OtlpEndpointVariable] = endpoint,
            [MiniMeTelemetry.OtlpProtocolVariable] = "http/protobuf",
        };
        using (var export = MiniMeTelemetry.StartOtlpExport(environment.GetValueOrDefault))
        {
            Assert.NotNull(export);
            var model = new ScriptedChatClient(ScriptedReply.Text("exported", 10, 2)) { ModelId = modelId };
            using var call = ModelCall.Begin(new ModelCallInfo(null, "architect"));
            await ModelPipeline.Build(model, PriceTable.Empty, new TiktokenTokenCounter()).GetResponseAsync([new ChatMessage(ChatRole.User, "hi")], new ChatOptions { ModelId = modelId });
        } // disposing flushes

        bool Mentions(string path, string text) => received.Any(r => r.Path == path && Encoding.UTF8.GetString(r.Body).Contains(text, StringComparison.Ordinal));
        Assert.True(Mentions("/v1/traces", modelId), "no span of the call reached /v1/traces");
        Assert.True(Mentions("/v1/traces", "minime.agent"), "the span lacks who made the call");
        Assert.True(Mentions("/v1/metrics", "minime.model.tokens"), "no model-call metric reached /v1/metrics");
    }
}
