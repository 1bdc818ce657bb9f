namespace MiniMe.Agents.Tests;

public class EventStreamTests
{
    [Fact]
    public async Task YieldsEventsThenSurfacesTheProducersError()
    {
        var seen = new List<int>();
        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await foreach (var i in EventStream.From<int>(async (emit, ct) =>
            {
                await emit(1, ct);
                await emit(2, ct);
                throw new InvalidOperationException("boom");
            }))
                seen.Add(i);
        });
        Assert.Equal([1, 2], seen);
        Assert.Equal("boom", error.Message);
    }

    [Fact]
    public async Task StoppingEarlyCancelsTheProducer()
    {
        var producerCancelled = new TaskCompletionSource<bool>();
        await foreach (var i in EventStream.From<int>(async (emit, ct) =>
        {
            await emit(1, ct);
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
                producerCancelled.SetResult(true);
                throw;
            }
        }))
        {
            Assert.Equal(1, i);
            break;
        }
        Assert.True(await producerCancelled.Task);
    }
}
