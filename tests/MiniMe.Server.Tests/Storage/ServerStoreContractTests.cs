using System.Diagnostics;
using System.Text.Json.Nodes;
using MiniMe.Actions;
using MiniMe.Server.Ask;
using MiniMe.Server.Auth;
using MiniMe.Server.Conversations;
using MiniMe.Server.Schedules;
using MiniMe.Server.Storage;
using MiniMe.Server.Tests.Support;
using MiniMe.Tests.Context;

namespace MiniMe.Server.Tests.Storage;

/// <summary>
/// The server's stores (keys, conversations, proposals) on one database dialect. Each test opens the
/// database through several <see cref="ServerDatabase"/> instances over the same storage, each with
/// its own connections, as separate server processes would: what one writes the others see, and
/// what must happen once happens once whichever instance asks.
/// </summary>
public abstract class ServerStoreContractTests : IAsyncLifetime
{
    private readonly List<ServerDatabase> _instances = [];

    /// <summary>Creates the empty storage the instances share.</summary>
    protected abstract Task CreateStorageAsync();

    /// <summary>A new instance over the shared storage, as another server process would open it.</summary>
    protected abstract ServerDatabase NewInstance();

    protected abstract Task DeleteStorageAsync();

    public Task InitializeAsync() => CreateStorageAsync();

    public async Task DisposeAsync()
    {
        foreach (var instance in _instances) await instance.DisposeAsync();
        await DeleteStorageAsync();
    }

    protected ServerDatabase Instance()
    {
        var instance = NewInstance();
        _instances.Add(instance);
        return instance;
    }

    [ContractFact]
    public void A_key_created_on_one_instance_authenticates_on_another_until_revoked_there()
    {
        var one = new ApiKeyStore(Instance());
        var other = new ApiKeyStore(Instance());

        var created = one.Create("laptop", "ann");

        var found = other.Authenticate(created.Secret);
        Assert.Equal(created.Info, found);
        Assert.Null(other.Authenticate(created.Secret + "x"));
        var revoked = other.Revoke("laptop");
        Assert.NotNull(revoked.RevokedAt);
        Assert.Null(one.Authenticate(created.Secret));
        Assert.Equal(revoked, Assert.Single(one.List(includeRevoked: true)));
        Assert.Empty(one.List(includeRevoked: false));
        Assert.Throws<NotFoundException>(() => one.Revoke("laptop"));
    }

    [ContractFact]
    public void An_active_key_name_is_taken_on_every_instance_and_free_again_once_revoked()
    {
        var one = new ApiKeyStore(Instance());
        var other = new ApiKeyStore(Instance());
        var first = one.Create("laptop", "ann");

        var duplicate = Assert.Throws<InvalidInputException>(() => other.Create("laptop", "bob"));
        Assert.Contains("An active key named 'laptop' exists", duplicate.Message, StringComparison.Ordinal);

        one.Revoke(first.Info.Id);
        var second = other.Create("laptop", "bob");
        Assert.Equal("bob", one.Authenticate(second.Secret)?.UserId);
        Assert.Equal(new[] { first.Info.Id, second.Info.Id }.Order(), one.List(includeRevoked: true).Select(k => k.Id).Order());
    }

    [ContractFact]
    public async Task Simultaneous_creates_of_one_key_name_on_two_instances_leave_exactly_one_key()
    {
        var stores = new[] { new ApiKeyStore(Instance()), new ApiKeyStore(Instance()) };
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var attempts = Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
        {
            await start.Task;
            try
            {
                return stores[i % 2].Create("shared", "ann");
            }
            catch (InvalidInputException)
            {
                return null;
            }
        })).ToList();

        start.SetResult();
        var results = await Task.WhenAll(attempts);

        var winner = Assert.Single(results, r => r is not null)!;
        Assert.Equal(winner.Info.Id, Assert.Single(stores[0].List(includeRevoked: true)).Id);
    }

    [ContractFact]
    public void A_conversation_keeps_its_messages_summary_and_times_and_is_invisible_to_other_users()
    {
        var store = new ConversationStore(Instance());
        var other = new ConversationStore(Instance());
        var conversation = store.Create("ann", "  How do   we deploy?\n");
        var question = store.Append("ann", conversation.Id, new ConversationMessage(0, ChatRoles.User, "How do we deploy?", default));
        var answer = other.Append("ann", conversation.Id, new ConversationMessage(0, ChatRoles.Assistant, "With helm.", default, "run-1", 40, 7));

        Assert.Equal("How do we deploy?", conversation.Title);
        Assert.Equal(conversation with { MessageCount = 2, UpdatedAt = answer.CreatedAt }, other.Get("ann", conversation.Id));
        Assert.Equal([question, answer], other.Messages("ann", conversation.Id));
        Assert.Equal([answer], other.Messages("ann", conversation.Id, last: 1));
        Assert.True(answer.Id > question.Id);
        Assert.Equal([answer], other.Between("ann", conversation.Id, question.Id, long.MaxValue));
        Assert.Equal(((string?)null, 0L), other.Summary("ann", conversation.Id));
        Assert.True(store.SetSummary("ann", conversation.Id, "Ann deploys with helm.", question.Id));
        Assert.Equal(((string?)"Ann deploys with helm.", question.Id), other.Summary("ann", conversation.Id));

        Assert.Null(other.Get("bob", conversation.Id));
        Assert.Empty(other.List("bob", 10));
        Assert.Empty(other.Messages("bob", conversation.Id));
        Assert.Throws<NotFoundException>(() => other.Append("bob", conversation.Id, new ConversationMessage(0, ChatRoles.User, "hi", default)));
        Assert.False(other.SetSummary("bob", conversation.Id, "stolen", 99));
        Assert.False(other.Delete("bob", conversation.Id));
        Assert.Equal(2, other.Get("ann", conversation.Id)?.MessageCount);

        Assert.True(other.Delete("ann", conversation.Id));
        Assert.Null(store.Get("ann", conversation.Id));
        Assert.Empty(store.Messages("ann", conversation.Id));
        Assert.Throws<NotFoundException>(() => store.Append("ann", conversation.Id, new ConversationMessage(0, ChatRoles.User, "late", default)));
    }

    [ContractFact]
    public void Conversations_are_listed_most_recently_active_first_up_to_the_limit()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 8, 0, 0, TimeSpan.Zero));
        var store = new ConversationStore(Instance(), clock);
        var older = store.Create("ann", "older");
        clock.Advance(TimeSpan.FromMinutes(1));
        var newer = store.Create("ann", "newer");
        clock.Advance(TimeSpan.FromMinutes(1));
        store.Append("ann", older.Id, new ConversationMessage(0, ChatRoles.User, "back to this one", default));

        var other = new ConversationStore(Instance());
        Assert.Equal([older.Id, newer.Id], other.List("ann", 10).Select(c => c.Id));
        Assert.Equal([older.Id], other.List("ann", 1).Select(c => c.Id));
        Assert.Equal(older.CreatedAt.AddMinutes(2), other.List("ann", 1)[0].UpdatedAt);
    }

    [ContractFact]
    public async Task Concurrent_appends_to_one_conversation_from_two_instances_lose_nothing_and_ids_follow_each_writer()
    {
        var stores = new[] { new ConversationStore(Instance()), new ConversationStore(Instance()) };
        var conversation = stores[0].Create("ann", "busy");
        const int writers = 4, each = 25;
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var appends = Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            await start.Task;
            var ids = new List<long>();
            for (var i = 0; i < each; i++)
                ids.Add(stores[w % 2].Append("ann", conversation.Id, new ConversationMessage(0, ChatRoles.User, $"w{w}-{i}", default)).Id);
            return ids;
        })).ToList();
        // Meanwhile the other instance keeps summarizing: its writes must not undo the appends', nor theirs its.
        var summaries = Task.Run(async () =>
        {
            await start.Task;
            for (var through = 1; through <= 20; through++) stores[1].SetSummary("ann", conversation.Id, $"summary {through}", through);
        });

        start.SetResult();
        var written = await Task.WhenAll(appends);
        await summaries;

        var messages = stores[0].Messages("ann", conversation.Id);
        Assert.Equal(writers * each, messages.Count);
        Assert.Equal(written.SelectMany(ids => ids).Order(), messages.Select(m => m.Id));
        for (var w = 0; w < writers; w++)
        {
            Assert.True(written[w].SequenceEqual(written[w].Order()), $"writer {w}'s ids did not grow");
            Assert.Equal(Enumerable.Range(0, each).Select(i => $"w{w}-{i}"), messages.Where(m => m.Content.StartsWith($"w{w}-", StringComparison.Ordinal)).Select(m => m.Content));
        }
        Assert.Equal(writers * each, stores[1].Get("ann", conversation.Id)?.MessageCount);
        Assert.Equal(((string?)"summary 20", 20L), stores[0].Summary("ann", conversation.Id));
    }

    [ContractFact]
    public void A_summary_from_a_stale_start_never_replaces_one_that_reaches_further()
    {
        var one = new ConversationStore(Instance());
        var other = new ConversationStore(Instance());
        var conversation = one.Create("ann", "long talk");

        Assert.True(one.SetSummary("ann", conversation.Id, "turns 1-12", 12));
        Assert.False(other.SetSummary("ann", conversation.Id, "turns 1-8 (started before the other finished)", 8));
        Assert.False(other.SetSummary("ann", conversation.Id, "turns 1-12 again", 12));

        Assert.Equal(((string?)"turns 1-12", 12L), other.Summary("ann", conversation.Id));
        Assert.True(other.SetSummary("ann", conversation.Id, "turns 1-20", 20));
        Assert.Equal(((string?)"turns 1-20", 20L), one.Summary("ann", conversation.Id));
    }

    [ContractFact]
    public void A_proposal_is_claimed_once_decided_once_and_only_its_user_sees_it()
    {
        var store = new ProposalStore(Instance());
        var other = new ProposalStore(Instance());
        var added = store.Add("ann", "run-1", Proposal());

        var pending = Assert.Single(other.List("ann", ProposalStatuses.Pending, 10));
        Assert.Equal(added.Id, pending.Id);
        Assert.Equal(added.CreatedAt, pending.CreatedAt);
        Assert.Equal(Proposal().Arguments.ToJsonString(), pending.Proposal.Arguments.ToJsonString());
        Assert.Empty(other.List("bob", null, 10));
        Assert.Throws<NotFoundException>(() => other.Require("bob", added.Id));
        Assert.Throws<NotFoundException>(() => other.Claim("bob", added.Id));

        Assert.Equal(ProposalStatuses.Deciding, store.Claim("ann", added.Id).Status);
        var busy = Assert.Throws<ProposalStateException>(() => other.Claim("ann", added.Id));
        Assert.Contains("already being decided", busy.Message, StringComparison.Ordinal);
        store.Release("ann", added.Id);
        Assert.Equal(ProposalStatuses.Pending, other.Require("ann", added.Id).Status);

        other.Claim("ann", added.Id);
        var decided = other.Finish("ann", added.Id, ProposalStatuses.Approved, "executed: ok");
        Assert.Equal((ProposalStatuses.Approved, "executed: ok"), (decided.Status, decided.Note));
        Assert.NotNull(decided.DecidedAt);
        Assert.Equal(Shape(decided), Shape(store.Require("ann", added.Id)));
        Assert.Contains("was already approved", Assert.Throws<ProposalStateException>(() => store.Claim("ann", added.Id)).Message, StringComparison.Ordinal);
        Assert.Equal([Shape(decided)], store.List("ann", ProposalStatuses.Approved, 10).Select(Shape));
    }

    [ContractFact]
    public async Task Simultaneous_claims_of_one_proposal_from_servers_on_two_hosts_let_exactly_one_decide()
    {
        var stores = new[]
        {
            new ProposalStore(Instance(), null, new ServerProcess("host-a", 100, 1)),
            new ProposalStore(Instance(), null, new ServerProcess("host-b", 100, 1)),
        };
        var proposal = stores[0].Add("ann", "run-1", Proposal());
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var claims = Enumerable.Range(0, 16).Select(i => Task.Run(async () =>
        {
            await start.Task;
            try
            {
                stores[i % 2].Claim("ann", proposal.Id);
                return i % 2;
            }
            catch (ProposalStateException)
            {
                return -1;
            }
        })).ToList();

        start.SetResult();
        var results = await Task.WhenAll(claims);

        var winner = Assert.Single(results, r => r >= 0);
        Assert.Throws<ProposalStateException>(() => stores[1 - winner].Finish("ann", proposal.Id, ProposalStatuses.Approved, "ran twice"));
        Assert.Equal(ProposalStatuses.Approved, stores[winner].Finish("ann", proposal.Id, ProposalStatuses.Approved, "ran once").Status);
        Assert.Equal("ran once", stores[1 - winner].Require("ann", proposal.Id).Note);
    }

    [ContractFact]
    public void A_claim_from_another_host_holds_until_its_lease_ends_then_ends_failed()
    {
        var start = new DateTimeOffset(2026, 3, 1, 8, 0, 0, TimeSpan.Zero);
        var clockA = new FakeTimeProvider(start);
        var clockB = new FakeTimeProvider(start);
        var a = new ProposalStore(Instance(), clockA, new ServerProcess("host-a", 100, 1));
        var b = new ProposalStore(Instance(), clockB, new ServerProcess("host-b", 100, 1));
        var proposal = a.Add("ann", "run-1", Proposal());
        a.Claim("ann", proposal.Id);

        clockB.Advance(ProposalStore.ClaimLease - TimeSpan.FromMinutes(1));
        Assert.Equal(ProposalStatuses.Deciding, Assert.Single(b.List("ann", ProposalStatuses.Deciding, 10)).Status);

        clockB.Advance(TimeSpan.FromMinutes(2));
        Assert.Empty(b.List("ann", ProposalStatuses.Deciding, 10));
        var failed = b.Require("ann", proposal.Id);
        Assert.Equal(ProposalStatuses.Failed, failed.Status);
        Assert.Contains("the server stopped while this was being decided", failed.Note, StringComparison.Ordinal);
        Assert.Throws<ProposalStateException>(() => a.Finish("ann", proposal.Id, ProposalStatuses.Approved, "too late"));
    }

    [ContractFact]
    public async Task A_claim_by_a_process_gone_from_this_host_ends_failed_at_once()
    {
        int gonePid;
        using (var gone = Process.Start(new ProcessStartInfo("/bin/true") { UseShellExecute = false })!)
        {
            await gone.WaitForExitAsync();
            gonePid = gone.Id;
        }
        var dead = new ProposalStore(Instance(), null, new ServerProcess(Environment.MachineName, gonePid, 0));
        var live = new ProposalStore(Instance());
        var proposal = live.Add("ann", "run-1", Proposal());
        dead.Claim("ann", proposal.Id);

        var blocked = Assert.Throws<ProposalStateException>(() => live.Claim("ann", proposal.Id));

        Assert.Contains("was already failed", blocked.Message, StringComparison.Ordinal);
        Assert.Empty(live.List("ann", ProposalStatuses.Deciding, 10));
    }

    /// <summary>A stored proposal as comparable values (its arguments are a JsonObject, equal only to itself).</summary>
    internal static (string, string, string, DateTimeOffset, DateTimeOffset?, string?, string, string, string) Shape(StoredProposal p) =>
        (p.Id, p.RunId, p.Status, p.CreatedAt, p.DecidedAt, p.Note, p.Proposal.Tool, p.Proposal.Arguments.ToJsonString(), p.Proposal.Rationale);

    [ContractFact]
    public async Task A_due_schedule_is_claimed_by_exactly_one_of_several_instances_and_is_invisible_to_other_users()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 3, 10, 30, 0, TimeSpan.Zero));
        var stores = Enumerable.Range(0, 3).Select(_ => new ScheduleStore(Instance(), time)).ToList();
        var due = new DateTimeOffset(2026, 12, 3, 11, 0, 0, TimeSpan.Zero);
        var created = stores[0].Create("ann", "Morning plan", "0 11 * * *", ScheduleKinds.Chat, "Plan my day", due);
        stores[0].Create("bob", "Bob's", "0 12 * * *", ScheduleKinds.Ask, "Bob's task", due.AddHours(1));

        Assert.Equal(created, stores[1].Require("ann", created.Id));
        Assert.Null(stores[1].Get("bob", created.Id));
        Assert.False(stores[2].Delete("bob", created.Id));
        Assert.Empty(stores[1].Due(due.AddMinutes(-1)));
        Assert.Equal(due, stores[2].Earliest());

        time.Advance(TimeSpan.FromMinutes(30));
        var seen = stores.Select(s => Assert.Single(s.Due(time.GetUtcNow()))).ToList();
        Assert.All(seen, d => Assert.Equal(("ann", created.Id), (d.UserId, d.Schedule.Id)));
        var claims = await Task.WhenAll(stores.Select((s, i) => Task.Run(() => s.TryClaim("ann", created.Id, seen[i].Schedule.NextRunAt, due.AddDays(1), time.GetUtcNow()))));
        Assert.Single(claims, c => c);
        Assert.Empty(stores[0].Due(time.GetUtcNow()));

        stores[1].Finish("ann", created.Id, "20261203-110000-abcdef", ScheduleStatuses.Completed, "Done.", "c_1");
        var finished = stores[2].Require("ann", created.Id);
        Assert.Equal((due.AddDays(1), time.GetUtcNow(), "20261203-110000-abcdef", "completed", "Done.", "c_1"),
            (finished.NextRunAt, finished.LastRunAt!.Value, finished.LastRunId, finished.LastStatus, finished.LastDetail, finished.ConversationId));
        stores[0].Finish("ann", created.Id, null, ScheduleStatuses.Failed, "No model.", null);
        Assert.Equal(("failed", "c_1"), (stores[1].Require("ann", created.Id).LastStatus, stores[1].Require("ann", created.Id).ConversationId));
        Assert.Equal(["Bob's"], stores[0].List("bob").Select(s => s.Name));
        Assert.True(stores[1].Delete("ann", created.Id));
        Assert.Empty(stores[2].List("ann"));
    }

    private static ActionProposal Proposal() =>
        new("a1", "run_command", new JsonObject { ["command"] = "echo hi", ["args"] = new JsonArray("ü", 2) }, "say hi");
}
