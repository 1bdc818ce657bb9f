using MiniMe.Configuration;
using MiniMe.Memory.Facts;
using MiniMe.Memory.Lexical;
using MiniMe.Tests.Context;
using MiniMe.Tests.Support;

namespace MiniMe.Tests.Memory.Facts;

/// <summary>
/// The contract every <see cref="IFactStore"/> must satisfy, exercised directly and through
/// <see cref="FactService"/>. Each store's test class derives from this and supplies a fresh, empty store.
/// Tests are [StoreFact]s so a store whose server is not installed reports them as skipped.
/// </summary>
public abstract class FactStoreContractTests : IAsyncLifetime
{
    protected static readonly DateTimeOffset Start = new(2025, 3, 1, 9, 0, 0, TimeSpan.Zero);
    private static readonly CancellationToken None = CancellationToken.None;

    internal FakeTimeProvider Clock { get; } = new(Start);

    protected IFactStore Store { get; private set; } = null!;

    protected FactService Facts { get; private set; } = null!;

    protected abstract Task<IFactStore> CreateStoreAsync();

    /// <summary>Another store instance over the same data (another process's view of it), not yet initialized.</summary>
    protected abstract IFactStore CreateSecondWriter();

    public async Task InitializeAsync()
    {
        Store = await CreateStoreAsync();
        await Store.InitializeAsync(None);
        Facts = new FactService(Store, new FactOptions(), time: Clock);
    }

    public virtual async Task DisposeAsync() => await Store.DisposeAsync();

    private Task<RememberResult> Remember(string text, string? category = null) => Facts.RememberAsync(new RememberRequest(text, category), None);

    private async Task<IReadOnlyList<Fact>> Active() => await Store.ListAsync(new FactQuery(Statuses: [FactStatus.Active]), None);

    private async Task<IReadOnlyList<Fact>> All() => await Store.ListAsync(new FactQuery(), None);

    private async Task<List<FactChange>> Changes(long id) => [.. (await Store.GetHistoryAsync(id, 100, None)).Select(e => e.Change)];

    private static FactDraft Draft(string text, string category = "general") => new(text, FactText.Key(text), category, FactSource.Explicit, 1.0, 0.5);

    private async Task<IReadOnlyList<FactMatch>> Search(string text) => await Store.SearchLexicalAsync(FtsQueryBuilder.Build(text)!, 10, None);

    [StoreFact]
    public async Task A_new_fact_is_stored_active_with_its_fields_and_a_created_entry()
    {
        var result = await Remember("Prefers  dark mode", "Preferences");

        Assert.Equal(RememberOutcome.Added, result.Outcome);
        var fact = await Store.GetAsync(result.Fact.Id, None);
        Assert.NotNull(fact);
        Assert.Equal("Prefers dark mode", fact.Text);
        Assert.Equal("preferences", fact.Category);
        Assert.Equal(FactSource.Explicit, fact.Source);
        Assert.Equal(FactStatus.Active, fact.Status);
        Assert.Equal(1, fact.SeenCount);
        Assert.Equal(Start, fact.CreatedAt);
        Assert.Equal(Start, fact.LastSeenAt);
        Assert.Null(fact.SupersededBy);
        Assert.Equal([FactChange.Created], await Changes(fact.Id));
    }

    [StoreFact]
    public async Task An_exact_duplicate_reinforces_the_known_fact_without_a_new_row()
    {
        var first = await Remember("prefers dark mode");
        Clock.Advance(TimeSpan.FromDays(2));

        var again = await Remember("Prefers dark mode.");

        Assert.Equal(RememberOutcome.Reinforced, again.Outcome);
        Assert.Equal(first.Fact.Id, again.Fact.Id);
        Assert.Single(await All());
        Assert.Equal(2, again.Fact.SeenCount);
        Assert.Equal(Start.AddDays(2), again.Fact.LastSeenAt);
        Assert.Equal(Start, again.Fact.CreatedAt);
        var history = await Store.GetHistoryAsync(first.Fact.Id, 10, None);
        Assert.Equal([FactChange.Created, FactChange.Reinforced], history.Select(h => h.Change));
        Assert.Equal("Prefers dark mode.", history[1].Text);
    }

    [StoreFact]
    public async Task A_near_duplicate_in_other_words_reinforces_and_its_wording_is_kept_in_history()
    {
        var first = await Remember("The user prefers dark mode");

        var again = await Remember("I prefer dark mode");

        Assert.Equal(RememberOutcome.Reinforced, again.Outcome);
        Assert.Equal(first.Fact.Id, again.Fact.Id);
        Assert.Single(await All());
        Assert.Contains(await Store.GetHistoryAsync(first.Fact.Id, 10, None), h => h.Text == "I prefer dark mode");
    }

    [StoreFact]
    public async Task A_contradiction_supersedes_the_old_fact_which_stays_in_history()
    {
        var old = await Remember("prefers dark mode", "ui");
        Clock.Advance(TimeSpan.FromHours(5));

        var result = await Remember("prefers light mode");

        Assert.Equal(RememberOutcome.Superseded, result.Outcome);
        Assert.Equal(old.Fact.Id, Assert.Single(result.Related).Id);
        Assert.Equal("ui", result.Fact.Category);
        Assert.Equal([result.Fact.Id], (await Active()).Select(f => f.Id));
        var superseded = (await Store.GetAsync(old.Fact.Id, None))!;
        Assert.Equal(FactStatus.Superseded, superseded.Status);
        Assert.Equal("prefers dark mode", superseded.Text);
        Assert.Equal(result.Fact.Id, superseded.SupersededBy);
        Assert.Equal(Start.AddHours(5), superseded.SupersededAt);
        var entry = (await Store.GetHistoryAsync(old.Fact.Id, 10, None))[^1];
        Assert.Equal(FactChange.Superseded, entry.Change);
        Assert.Equal(result.Fact.Id, entry.RelatedFactId);
        Assert.Contains("dark mode -> light mode", entry.Detail, StringComparison.Ordinal);
        // Superseded facts are not candidates any more: only the new one is found.
        Assert.Equal([result.Fact.Id], (await Search("mode")).Select(m => m.Fact.Id));
    }

    [StoreFact]
    public async Task An_uncertain_relation_waits_in_the_review_queue_and_is_not_used()
    {
        var known = await Remember("never deploys on Fridays");

        var result = await Remember("deploys on Fridays after noon");

        Assert.Equal(RememberOutcome.Queued, result.Outcome);
        Assert.Equal(FactStatus.Pending, result.Fact.Status);
        Assert.Equal([known.Fact.Id], (await Active()).Select(f => f.Id));
        Assert.DoesNotContain(await Search("deploys Fridays noon"), m => m.Fact.Id == result.Fact.Id);
        var item = Assert.Single(await Facts.ReviewsAsync(pendingOnly: true, None));
        Assert.Equal(result.Review!.Id, item.Review.Id);
        Assert.Equal(FactReviewKind.Contradiction, item.Review.Kind);
        Assert.Equal(result.Fact.Id, item.Candidate.Id);
        Assert.Equal(known.Fact.Id, item.Existing!.Id);
        Assert.Equal([FactChange.Queued], await Changes(result.Fact.Id));
    }

    [StoreFact]
    public async Task Remembering_a_pending_statement_again_reinforces_it_instead_of_queueing_twice()
    {
        await Remember("prefers dark mode");
        var queued = await Remember("prefers dark mode everywhere");

        var again = await Remember("prefers dark mode everywhere");

        Assert.Equal(RememberOutcome.Reinforced, again.Outcome);
        Assert.Equal(queued.Fact.Id, again.Fact.Id);
        Assert.Equal(FactStatus.Pending, again.Fact.Status);
        Assert.Single(await Facts.ReviewsAsync(pendingOnly: true, None));
    }

    [StoreFact]
    public async Task Review_accept_makes_the_candidate_active_and_supersedes_the_existing_fact()
    {
        var known = await Remember("prefers dark mode");
        var queued = await Remember("prefers dark mode everywhere");
        Clock.Advance(TimeSpan.FromMinutes(3));

        var item = await Facts.ResolveAsync(queued.Review!.Id, ReviewDecision.Accept, None);

        Assert.Equal(FactReviewStatus.Accepted, item.Review.Status);
        Assert.Equal(Start.AddMinutes(3), item.Review.ResolvedAt);
        Assert.Equal(FactStatus.Active, item.Candidate.Status);
        Assert.Equal(FactStatus.Superseded, item.Existing!.Status);
        Assert.Equal(queued.Fact.Id, item.Existing.SupersededBy);
        Assert.Equal([queued.Fact.Id], (await Active()).Select(f => f.Id));
        Assert.Equal([FactChange.Created, FactChange.Superseded], await Changes(known.Fact.Id));
        Assert.Equal([FactChange.Queued, FactChange.Accepted], await Changes(queued.Fact.Id));
        Assert.Empty(await Facts.ReviewsAsync(pendingOnly: true, None));
    }

    [StoreFact]
    public async Task Review_keep_both_makes_both_facts_active()
    {
        var known = await Remember("never deploys on Fridays");
        var queued = await Remember("deploys on Fridays after noon");

        var item = await Facts.ResolveAsync(queued.Review!.Id, ReviewDecision.KeepBoth, None);

        Assert.Equal(FactReviewStatus.KeptBoth, item.Review.Status);
        Assert.Equal(new[] { known.Fact.Id, queued.Fact.Id }.Order(), (await Active()).Select(f => f.Id).Order());
        Assert.Equal([FactChange.Queued, FactChange.KeptBoth], await Changes(queued.Fact.Id));
    }

    [StoreFact]
    public async Task Review_reject_keeps_the_candidate_as_rejected_history_and_the_existing_fact_unchanged()
    {
        var known = await Remember("never deploys on Fridays");
        var queued = await Remember("deploys on Fridays after noon");

        var item = await Facts.ResolveAsync(queued.Review!.Id, ReviewDecision.Reject, None);

        Assert.Equal(FactReviewStatus.Rejected, item.Review.Status);
        Assert.Equal(FactStatus.Rejected, item.Candidate.Status);
        Assert.Equal("deploys on Fridays after noon", item.Candidate.Text);
        Assert.Equal([known.Fact.Id], (await Active()).Select(f => f.Id));
        Assert.Equal([FactChange.Created], await Changes(known.Fact.Id));
    }

    [StoreFact]
    public async Task A_resolved_review_cannot_be_resolved_again_and_unknown_reviews_are_not_found()
    {
        await Remember("never deploys on Fridays");
        var queued = await Remember("deploys on Fridays after noon");
        await Facts.ResolveAsync(queued.Review!.Id, ReviewDecision.Reject, None);

        var again = await Assert.ThrowsAsync<InvalidInputException>(() => Facts.ResolveAsync(queued.Review.Id, ReviewDecision.Accept, None));
        Assert.Contains("already resolved (rejected)", again.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<NotFoundException>(() => Facts.ResolveAsync(999, ReviewDecision.Accept, None));
        Assert.Equal(FactStatus.Rejected, (await Store.GetAsync(queued.Fact.Id, None))!.Status);
    }

    [StoreFact]
    public async Task Accepting_after_the_existing_fact_was_forgotten_just_activates_the_candidate()
    {
        var known = await Remember("prefers dark mode");
        var queued = await Remember("prefers dark mode everywhere");
        await Facts.ForgetAsync(known.Fact.Id, None);

        var item = await Facts.ResolveAsync(queued.Review!.Id, ReviewDecision.Accept, None);

        Assert.Equal(FactStatus.Active, item.Candidate.Status);
        Assert.Equal(FactStatus.Retracted, item.Existing!.Status);
        Assert.Null(item.Existing.SupersededBy);
    }

    [StoreFact]
    public async Task Forget_retracts_with_a_timestamp_and_keeps_the_fact_in_history()
    {
        var fact = await Remember("uses Rider");
        Clock.Advance(TimeSpan.FromDays(1));

        var retracted = await Facts.ForgetAsync(fact.Fact.Id, None);

        Assert.Equal(FactStatus.Retracted, retracted.Status);
        Assert.Equal(Start.AddDays(1), retracted.RetractedAt);
        Assert.Equal("uses Rider", (await Store.GetAsync(fact.Fact.Id, None))!.Text);
        Assert.Equal([FactChange.Created, FactChange.Retracted], await Changes(fact.Fact.Id));
        Assert.Empty(await Active());
        Assert.Empty(await Search("Rider"));
        // Saying it again later is a new statement, not a resurrection of the forgotten one.
        var again = await Remember("uses Rider");
        Assert.Equal(RememberOutcome.Added, again.Outcome);
        Assert.NotEqual(fact.Fact.Id, again.Fact.Id);
    }

    [StoreFact]
    public async Task Forgetting_a_pending_candidate_closes_its_review()
    {
        await Remember("never deploys on Fridays");
        var queued = await Remember("deploys on Fridays after noon");

        await Facts.ForgetAsync(queued.Fact.Id, None);

        Assert.Empty(await Facts.ReviewsAsync(pendingOnly: true, None));
        Assert.Equal(FactReviewStatus.Rejected, Assert.Single(await Store.ListReviewsAsync(false, None)).Status);
    }

    [StoreFact]
    public async Task Superseded_and_forgotten_facts_cannot_be_forgotten_or_edited_again()
    {
        var old = await Remember("lives in Oslo");
        await Remember("lives in Bergen");

        var forget = await Assert.ThrowsAsync<InvalidInputException>(() => Facts.ForgetAsync(old.Fact.Id, None));
        Assert.Contains("--purge", forget.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<InvalidInputException>(() => Facts.EditAsync(old.Fact.Id, "lives in Trondheim", None));
        await Assert.ThrowsAsync<NotFoundException>(() => Facts.ForgetAsync(12345, None));
        Assert.Equal(FactStatus.Superseded, (await Store.GetAsync(old.Fact.Id, None))!.Status);
    }

    [StoreFact]
    public async Task Purge_deletes_the_fact_and_its_history_and_unlinks_the_fact_that_superseded_it()
    {
        var old = await Remember("lives in Oslo");
        var current = await Remember("lives in Bergen");

        await Facts.PurgeAsync(current.Fact.Id, None);

        Assert.Null(await Store.GetAsync(current.Fact.Id, None));
        Assert.Empty(await Store.GetHistoryAsync(current.Fact.Id, 10, None));
        var orphan = (await Store.GetAsync(old.Fact.Id, None))!;
        Assert.Equal(FactStatus.Superseded, orphan.Status);
        Assert.Null(orphan.SupersededBy);
        await Assert.ThrowsAsync<NotFoundException>(() => Facts.PurgeAsync(current.Fact.Id, None));
    }

    [StoreFact]
    public async Task Purging_the_fact_under_review_leaves_a_review_that_can_still_be_decided()
    {
        var known = await Remember("never deploys on Fridays");
        var queued = await Remember("deploys on Fridays after noon");

        await Facts.PurgeAsync(known.Fact.Id, None);
        var item = Assert.Single(await Facts.ReviewsAsync(pendingOnly: true, None));
        Assert.Null(item.Existing);
        var resolved = await Facts.ResolveAsync(queued.Review!.Id, ReviewDecision.Accept, None);

        Assert.Equal(FactStatus.Active, resolved.Candidate.Status);
    }

    [StoreFact]
    public async Task Edit_keeps_the_previous_wording_in_history_and_reindexes_the_text()
    {
        var fact = await Remember("uses Rider for C#");

        var edited = await Facts.EditAsync(fact.Fact.Id, "uses VS Code for C#", None);

        Assert.Equal("uses VS Code for C#", edited.Text);
        Assert.Equal(fact.Fact.Id, edited.Id);
        var entry = (await Store.GetHistoryAsync(fact.Fact.Id, 10, None))[^1];
        Assert.Equal(FactChange.Edited, entry.Change);
        Assert.Equal("uses Rider for C#", entry.Text);
        Assert.Empty(await Search("Rider"));
        Assert.Single(await Search("VS Code"));
        // The key follows the text: the new wording is now an exact duplicate.
        Assert.Equal(RememberOutcome.Reinforced, (await Remember("Uses VS Code for C#.")).Outcome);
    }

    [StoreFact]
    public async Task Editing_into_the_words_of_another_fact_is_refused()
    {
        await Remember("prefers dark mode");
        var other = await Remember("uses Rider");

        var error = await Assert.ThrowsAsync<InvalidInputException>(() => Facts.EditAsync(other.Fact.Id, "Prefers dark mode", None));
        Assert.Contains("already says that", error.Message, StringComparison.Ordinal);
        Assert.Equal("uses Rider", (await Store.GetAsync(other.Fact.Id, None))!.Text);
    }

    [StoreFact]
    public async Task Empty_statements_are_refused()
    {
        foreach (var text in new[] { "", "   ", "?!" })
            await Assert.ThrowsAsync<InvalidInputException>(() => Remember(text));
        Assert.Empty(await All());
    }

    [StoreFact]
    public async Task Too_long_statements_and_bad_values_are_refused_with_nothing_stored()
    {
        await Assert.ThrowsAsync<InvalidInputException>(() => Remember(new string('a', 1001)));
        await Assert.ThrowsAsync<InvalidInputException>(() => Remember("prefers tea", "bad category"));
        await Assert.ThrowsAsync<InvalidInputException>(() => Facts.RememberAsync(new RememberRequest("prefers tea", Importance: 2), None));
        Assert.Empty(await All());
    }

    [StoreFact]
    public async Task List_filters_by_category_status_and_key_newest_first()
    {
        var a = await Remember("prefers dark mode", "ui");
        var b = await Remember("uses Rider", "tools");
        var c = await Remember("uses git worktrees", "tools");
        await Facts.ForgetAsync(b.Fact.Id, None);

        Assert.Equal([c.Fact.Id, b.Fact.Id], (await Facts.ListAsync(new FactQuery("Tools"), None)).Select(f => f.Id));
        Assert.Equal([c.Fact.Id], (await Store.ListAsync(new FactQuery("tools", [FactStatus.Active]), None)).Select(f => f.Id));
        Assert.Equal([a.Fact.Id], (await Store.ListAsync(new FactQuery(Key: "prefers dark mode"), None)).Select(f => f.Id));
        Assert.Single(await Store.ListAsync(new FactQuery(Limit: 1), None));
    }

    [StoreFact]
    public async Task Superseding_a_fact_that_is_not_active_fails_and_writes_nothing()
    {
        var old = await Remember("lives in Oslo");
        await Facts.ForgetAsync(old.Fact.Id, None);
        var before = await All();

        await Assert.ThrowsAsync<FactStateException>(() =>
            Store.AddAsync(new FactInsert(Draft("lives in Bergen"), null, [old.Fact.Id], null, "test"), Start, None));

        Assert.Equal(before.Select(f => f.Id), (await All()).Select(f => f.Id));
        Assert.Equal([FactChange.Created, FactChange.Retracted], await Changes(old.Fact.Id));
    }

    [StoreFact]
    public async Task Reinforcing_a_forgotten_fact_fails()
    {
        var fact = await Remember("uses Rider");
        await Facts.ForgetAsync(fact.Fact.Id, None);

        await Assert.ThrowsAsync<FactStateException>(() => Store.ReinforceAsync(fact.Fact.Id, "uses Rider", Start, None));
        Assert.Equal(1, (await Store.GetAsync(fact.Fact.Id, None))!.SeenCount);
    }

    [StoreFact]
    public async Task Dense_search_ranks_active_facts_by_cosine_for_one_model()
    {
        var x = await Store.AddAsync(FactInsert.Active(Draft("x"), new FactEmbedding("m", new float[] { 1, 0, 0 })), Start, None);
        var xy = await Store.AddAsync(FactInsert.Active(Draft("xy"), new FactEmbedding("m", new float[] { 1, 1, 0 })), Start, None);
        await Store.AddAsync(FactInsert.Active(Draft("z"), new FactEmbedding("m", new float[] { 0, 0, 1 })), Start, None);
        await Store.AddAsync(FactInsert.Active(Draft("other model"), new FactEmbedding("n", new float[] { 1, 0, 0 })), Start, None);
        await Store.AddAsync(FactInsert.Active(Draft("other dims"), new FactEmbedding("m", new float[] { 1, 0 })), Start, None);
        var retracted = await Store.AddAsync(FactInsert.Active(Draft("gone"), new FactEmbedding("m", new float[] { 1, 0, 0 })), Start, None);
        await Store.RetractAsync(retracted.Fact.Id, null, Start, None);

        var hits = await Store.SearchDenseAsync("m", new float[] { 1, 0, 0 }, 2, None);

        Assert.Equal([x.Fact.Id, xy.Fact.Id], hits.Select(h => h.Fact.Id));
        Assert.Equal(1.0, hits[0].Score, 5);
        Assert.Equal(Math.Sqrt(0.5), hits[1].Score, 5);
    }

    [StoreFact]
    public async Task History_of_all_facts_is_newest_first()
    {
        var a = await Remember("uses Rider");
        var b = await Remember("prefers tea");

        var latest = await Store.GetHistoryAsync(null, 10, None);

        Assert.Equal([b.Fact.Id, a.Fact.Id], latest.Select(e => e.FactId));
    }

    [StoreFact]
    public async Task A_second_live_fact_with_a_known_key_is_refused_and_nothing_is_written()
    {
        var known = await Store.AddAsync(FactInsert.Active(Draft("prefers green tea"), null), Start, None);
        var other = await Store.AddAsync(FactInsert.Active(Draft("uses Rider"), null), Start, None);

        var add = await Assert.ThrowsAsync<DuplicateFactException>(() => Store.AddAsync(FactInsert.Active(Draft("Prefers green tea."), null), Start, None));
        var queue = await Assert.ThrowsAsync<DuplicateFactException>(() =>
            Store.AddAsync(new FactInsert(Draft("prefers green tea"), null, [], new ReviewRequest(other.Fact.Id, FactReviewKind.Duplicate, "test", 0.5), null), Start, None));
        var edit = await Assert.ThrowsAsync<DuplicateFactException>(() =>
            Store.EditAsync(other.Fact.Id, "prefers green tea", FactText.Key("prefers green tea"), null, Start, None));

        Assert.All(new[] { add, queue, edit }, e => Assert.Equal(known.Fact.Id, e.ExistingId));
        Assert.Equal([other.Fact.Id, known.Fact.Id], (await All()).Select(f => f.Id));
        Assert.Equal("uses Rider", (await Store.GetAsync(other.Fact.Id, None))!.Text);
        Assert.Empty(await Store.ListReviewsAsync(false, None));
        // A fact may take the key of the one it supersedes, and a forgotten fact's key is free again.
        var replacing = await Store.AddAsync(new FactInsert(Draft("prefers green tea"), null, [known.Fact.Id], null, "test"), Start, None);
        await Store.RetractAsync(replacing.Fact.Id, null, Start, None);
        await Store.AddAsync(FactInsert.Active(Draft("prefers green tea"), null), Start, None);
    }

    [StoreFact]
    public async Task Concurrent_writers_of_one_new_statement_leave_one_fact_seen_by_each()
    {
        const int Writers = 8;
        await using var second = CreateSecondWriter();
        await second.InitializeAsync(None);
        FactService[] services = [Facts, new FactService(second, new FactOptions(), time: Clock)];
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var writers = Enumerable.Range(0, Writers).Select(i => Task.Run(async () =>
        {
            await go.Task;
            return await services[i % 2].RememberAsync(new RememberRequest("prefers green tea"), None);
        })).ToList();

        go.SetResult();
        var results = await Task.WhenAll(writers);

        var fact = Assert.Single(await All());
        Assert.Equal(Writers, fact.SeenCount);
        Assert.Single(results, r => r.Outcome == RememberOutcome.Added);
        Assert.All(results, r => Assert.Equal(fact.Id, r.Fact.Id));
        Assert.Equal(Writers - 1, (await Changes(fact.Id)).Count(c => c == FactChange.Reinforced));
    }

    [StoreFact]
    public async Task Concurrent_sightings_and_a_forget_from_two_instances_lose_no_write()
    {
        const int PerWriter = 10;
        await using var second = CreateSecondWriter();
        await second.InitializeAsync(None);
        var seen = await Store.AddAsync(FactInsert.Active(Draft("prefers green tea"), null), Start, None);
        var forgotten = await Store.AddAsync(FactInsert.Active(Draft("uses Rider"), null), Start, None);
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var writers = new[] { Store, second }.Select(store => Task.Run(async () =>
        {
            await go.Task;
            for (var i = 0; i < PerWriter; i++)
                await store.ReinforceAsync(seen.Fact.Id, "prefers green tea", Start, None);
        })).Append(Task.Run(async () =>
        {
            await go.Task;
            await second.RetractAsync(forgotten.Fact.Id, "test", Start, None);
        })).ToList();

        go.SetResult();
        await Task.WhenAll(writers);

        Assert.Equal(1 + (2 * PerWriter), (await Store.GetAsync(seen.Fact.Id, None))!.SeenCount);
        Assert.Equal(2 * PerWriter, (await Changes(seen.Fact.Id)).Count(c => c == FactChange.Reinforced));
        Assert.Equal(FactStatus.Retracted, (await Store.GetAsync(forgotten.Fact.Id, None))!.Status);
    }

    [StoreFact]
    public async Task A_captured_fact_keeps_its_origin_and_a_held_one_waits_for_review_without_an_existing_fact()
    {
        var origin = FactOrigin.ForConversation("conv-7", 12, "run-3");
        var stored = await Facts.RememberAsync(new RememberRequest("plays the cello", "hobbies", FactSource.Conversation, 0.9, 0.755, origin), None);
        Assert.Equal(RememberOutcome.Added, stored.Outcome);
        var read = (await Store.GetAsync(stored.Fact.Id, None))!;
        Assert.Equal(origin, read.Origin);
        Assert.Equal(0.755, read.Importance);
        Assert.Null((await Store.GetAsync((await Remember("uses Rider")).Fact.Id, None))!.Origin);

        var held = await Facts.RememberAsync(new RememberRequest("keeps bees", null, FactSource.Inferred, 0.6, 0.4, FactOrigin.ForRun("run-4"), "captured from run run-4 (facts.capture: review)"), None);
        Assert.Equal(RememberOutcome.Queued, held.Outcome);
        Assert.Equal(FactStatus.Pending, held.Fact.Status);
        Assert.Equal(FactReviewKind.Captured, held.Review!.Kind);
        Assert.Null(held.Review.ExistingId);
        Assert.Equal("captured from run run-4 (facts.capture: review)", held.Review.Reason);
        Assert.DoesNotContain(await Active(), f => f.Text == "keeps bees");

        var accepted = await Facts.ResolveAsync(held.Review.Id, ReviewDecision.Accept, None);
        Assert.Equal(FactStatus.Active, (await Store.GetAsync(accepted.Candidate.Id, None))!.Status);
        Assert.Null(accepted.Existing);
    }

    [StoreFact]
    public async Task A_held_repetition_reinforces_with_its_origin_and_a_held_contradiction_waits_instead_of_superseding()
    {
        var known = await Remember("lives in Lyon");
        var seenAgain = await Facts.RememberAsync(new RememberRequest("lives in Lyon", Origin: FactOrigin.ForConversation("c", 2, "r"), HoldReason: "held"), None);
        Assert.Equal(RememberOutcome.Reinforced, seenAgain.Outcome);
        Assert.Equal("seen again in conversation c message 2 (run r)", (await Store.GetHistoryAsync(known.Fact.Id, 10, None))[^1].Detail);

        var moved = await Facts.RememberAsync(new RememberRequest("lives in Paris", HoldReason: "held"), None);
        Assert.Equal(RememberOutcome.Queued, moved.Outcome);
        Assert.Equal(FactReviewKind.Contradiction, moved.Review!.Kind);
        Assert.Equal(known.Fact.Id, moved.Review.ExistingId);
        Assert.Equal(FactStatus.Active, (await Store.GetAsync(known.Fact.Id, None))!.Status);
    }

    [StoreFact]
    public async Task Known_similarity_is_one_for_the_same_statement_and_zero_for_an_unrelated_or_contradicting_one()
    {
        Assert.Equal(0, await Facts.KnownSimilarityAsync("prefers dark mode", None));
        await Remember("prefers dark mode in every editor");
        await Remember("lives in Lyon");

        Assert.Equal(1, await Facts.KnownSimilarityAsync("Prefers dark mode in every editor.", None));
        var similar = await Facts.KnownSimilarityAsync("prefers dark mode in editors", None);
        Assert.InRange(similar, 0.5, 0.99);
        Assert.Equal(0, await Facts.KnownSimilarityAsync("lives in Paris", None));
        Assert.Equal(0, await Facts.KnownSimilarityAsync("owns a sailing boat", None));
    }
}
