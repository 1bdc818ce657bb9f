using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using MiniMe.Server.Storage;
using MiniMe.Server.Tests.Support;

namespace MiniMe.Server.Tests;

/// <summary>
/// Chat under concurrency on the real server: many conversations at once, each turn's messages stored
/// once and in order; identity read once and picked up again when it changes; server.db busy in
/// another connection.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ChatConcurrencyTests
{
    [Fact]
    public async Task Parallel_conversations_store_every_message_exactly_once_and_in_order()
    {
        const int conversations = 16;
        const int turns = 4;
        var model = new EchoChatClient();
        await using var server = await TestServer.StartAsync(model);
        var client = server.Client(server.CreateKey("k"));

        var ids = await Task.WhenAll(Enumerable.Range(0, conversations).Select(c => Task.Run(async () =>
        {
            string? id = null;
            for (var t = 0; t < turns; t++)
            {
                var reply = await client.PostJsonAsync("/v1/chat", id is null
                    ? new { message = $"conversation {c} turn {t}" }
                    : (object)new { message = $"conversation {c} turn {t}", conversation_id = id });
                id ??= reply.GetProperty("conversation_id").GetString()!;
                Assert.Equal(id, reply.GetProperty("conversation_id").GetString());
                Assert.Equal($"echo: conversation {c} turn {t}", reply.GetProperty("message").GetProperty("content").GetString());
            }
            return (Index: c, Id: id!);
        })));

        Assert.Equal(conversations, ids.Select(i => i.Id).Distinct().Count());
        foreach (var (index, id) in ids)
        {
            var messages = (await client.GetJsonAsync($"/v1/conversations/{id}")).GetProperty("messages").EnumerateArray().ToList();
            var expected = Enumerable.Range(0, turns).SelectMany(t => new[] { $"conversation {index} turn {t}", $"echo: conversation {index} turn {t}" });
            Assert.Equal(expected, messages.Select(m => m.GetProperty("content").GetString()));
            Assert.Equal(Enumerable.Range(0, turns).SelectMany(_ => new[] { "user", "assistant" }), messages.Select(m => m.GetProperty("role").GetString()));
            var messageIds = messages.Select(m => m.GetProperty("id").GetInt64()).ToList();
            Assert.Equal(messageIds.Order(), messageIds);
            Assert.Equal(messageIds.Count, messageIds.Distinct().Count());
        }
        // Every turn's user message went to the model with the history before it, and nothing else was asked.
        Assert.Equal(conversations * turns, model.Requests.Count(r => r[0].Role == ChatRole.System && !r[0].Text.Contains("keep the memory", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_new_profile_and_an_edit_of_identity_yaml_reach_the_next_prompt()
    {
        var model = new EchoChatClient();
        await using var server = await TestServer.StartAsync(model);
        var client = server.Client(server.CreateKey("k"));

        await client.PostJsonAsync("/v1/chat", new { message = "hello" });
        Assert.Contains("calm, direct, pragmatic engineer", model.LastSystemPrompt, StringComparison.Ordinal);

        using (var put = await client.PutAsJsonAsync("/v1/profile", new { persona = new { voice = "terse pirate engineer", tone = "salty" } }))
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        await client.PostJsonAsync("/v1/chat", new { message = "hello again" });
        Assert.Contains("terse pirate engineer", model.LastSystemPrompt, StringComparison.Ordinal);

        // Edited by hand, in place, while the server runs.
        var path = server.Workspace.IdentityPath;
        await File.WriteAllTextAsync(path, (await File.ReadAllTextAsync(path)).Replace("terse pirate engineer", "patient gardener", StringComparison.Ordinal));
        await client.PostJsonAsync("/v1/chat", new { message = "and now?" });
        Assert.Contains("patient gardener", model.LastSystemPrompt, StringComparison.Ordinal);
        Assert.DoesNotContain("pirate", model.LastSystemPrompt, StringComparison.Ordinal);

        // A broken edit fails the turn with the file's error (it is not served from the cache), and fixing it recovers.
        await File.WriteAllTextAsync(path, "persona:\n  voyce: typo\n");
        using (var broken = await client.PostAsJsonAsync("/v1/chat", new { message = "still there?" }))
            Assert.Contains("voyce", await broken.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await File.WriteAllTextAsync(path, "persona:\n  voice: careful archivist\n");
        await client.PostJsonAsync("/v1/chat", new { message = "fixed?" });
        Assert.Contains("careful archivist", model.LastSystemPrompt, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_chat_waits_for_another_connection_holding_the_server_db_write_lock_instead_of_failing()
    {
        var model = new EchoChatClient();
        await using var server = await TestServer.StartAsync(model);
        var client = server.Client(server.CreateKey("k"));
        var first = await client.PostJsonAsync("/v1/chat", new { message = "before the lock" });
        var id = first.GetProperty("conversation_id").GetString()!;

        // Another process's writer (the CLI, say): an open write transaction on server.db, released a moment later.
        var path = Path.Combine(server.Workspace.Root, SqliteServerDatabase.FileName);
        using var other = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        other.Open();
        using var hold = other.BeginTransaction(deferred: false);
        using (var write = other.CreateCommand())
        {
            write.Transaction = hold;
            write.CommandText = "UPDATE conversations SET title = title";
            write.ExecuteNonQuery();
        }
        var chat = client.PostAsJsonAsync("/v1/chat", new { message = "during the lock", conversation_id = id });
        await Task.Delay(TimeSpan.FromMilliseconds(400));
        Assert.False(chat.IsCompleted, "the turn should wait for the write lock held by the other connection");
        hold.Commit();

        using var response = await chat;
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        var messages = (await client.GetJsonAsync($"/v1/conversations/{id}")).GetProperty("messages").EnumerateArray()
            .Select(m => m.GetProperty("content").GetString()).ToList();
        Assert.Equal(["before the lock", "echo: before the lock", "during the lock", "echo: during the lock"], messages);
    }

    [Fact]
    public async Task Server_db_connections_let_sqlite_wait_for_a_lock_and_this_process_writes_one_at_a_time()
    {
        var folder = Path.Combine(Path.GetTempPath(), "minime-server-tests", "busy-" + Guid.NewGuid().ToString("N"));
        var database = new SqliteServerDatabase(Path.Combine(folder, SqliteServerDatabase.FileName));
        try
        {
            using (var connection = database.Open())
            using (var pragma = connection.Command("PRAGMA busy_timeout"))
                Assert.Equal(SqliteServerDatabase.BusyTimeoutMs, Convert.ToInt32(pragma.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture));

            var firstWriter = database.OpenForWrite();
            var secondOpened = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var second = Task.Run(() =>
            {
                using var connection = database.OpenForWrite();
                secondOpened.SetResult();
            });
            using (var reader = database.Open()) { } // readers never queue
            Assert.NotSame(second, await Task.WhenAny(second, Task.Delay(TimeSpan.FromMilliseconds(300))));
            firstWriter.Dispose();
            await second.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(secondOpened.Task.IsCompleted);
            database.OpenForWrite().Dispose(); // the turn came back after the second writer
        }
        finally
        {
            await database.DisposeAsync();
            SqliteConnection.ClearAllPools();
            try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>Answers every call with "echo: " and the last user message; records what it was sent.</summary>
    private sealed class EchoChatClient : IChatClient
    {
        public ConcurrentQueue<IReadOnlyList<ChatMessage>> Requests { get; } = new();

        public string LastSystemPrompt => Requests.Last()[0].Text;

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var list = messages.ToList();
            Requests.Enqueue(list);
            return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "echo: " + list[^1].Text))
            {
                ModelId = "echo",
                Usage = new UsageDetails { InputTokenCount = 10, OutputTokenCount = 3 },
            });
        }

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
            IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            var response = await GetResponseAsync(messages, options, cancellationToken);
            yield return new ChatResponseUpdate(ChatRole.Assistant, response.Text) { ModelId = "echo" };
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose() { }
    }
}
