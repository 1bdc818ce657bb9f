using MiniMe.Memory.Facts;
using MiniMe.Hosting.Users;

namespace MiniMe.Server.Facts;

/// <summary>
/// The API's facts over the same fact service as `minime remember` / `minime facts`, in each user's
/// own memory.db: duplicates reinforce, contradictions supersede (kept in history), uncertain
/// statements wait for review, and delete retracts rather than erases. The owner sees the same facts
/// on the CLI and in the web UI.
/// </summary>
public sealed class FactServiceUserFacts : IUserFacts
{
    public async Task<IReadOnlyList<FactView>> ListAsync(UserSpace user, string? category, int limit, CancellationToken cancellationToken)
    {
        var service = await ServiceAsync(user, cancellationToken).ConfigureAwait(false);
        var facts = await service.ListAsync(new FactQuery(category, [FactStatus.Active], Limit: limit), cancellationToken).ConfigureAwait(false);
        return [.. facts.Select(View)];
    }

    public async Task<FactView?> GetAsync(UserSpace user, long id, CancellationToken cancellationToken)
    {
        var service = await ServiceAsync(user, cancellationToken).ConfigureAwait(false);
        try
        {
            var fact = await service.GetAsync(id, cancellationToken).ConfigureAwait(false);
            return fact.Status == FactStatus.Active ? View(fact) : null;
        }
        catch (NotFoundException)
        {
            return null;
        }
    }

    public async Task<FactWriteResult> AddAsync(UserSpace user, FactInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (string.IsNullOrWhiteSpace(input.Text)) throw new InvalidInputException("text is required: the statement to remember.");
        var source = FactSource.Explicit;
        if (input.Source is { Length: > 0 } code && !FactCodes.TryParse(code, out source))
            throw new InvalidInputException($"source '{code}' is unknown; use {string.Join(", ", FactCodes.All<FactSource>())}.");
        var service = await ServiceAsync(user, cancellationToken).ConfigureAwait(false);
        var result = await service.RememberAsync(
            new RememberRequest(input.Text, input.Category, source, input.Confidence ?? 1.0, input.Importance ?? 0.5), cancellationToken).ConfigureAwait(false);
        return new FactWriteResult(FactCodes.Code(result.Outcome), View(result.Fact));
    }

    public async Task<FactView> UpdateAsync(UserSpace user, long id, FactInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Category is not null || input.Source is not null || input.Confidence is not null || input.Importance is not null)
            throw new InvalidInputException("Only text can be changed; the old wording is kept in the fact's history.");
        var service = await ServiceAsync(user, cancellationToken).ConfigureAwait(false);
        if (string.IsNullOrWhiteSpace(input.Text)) throw new InvalidInputException("text is required: the new wording.");
        return View(await service.EditAsync(id, input.Text, cancellationToken).ConfigureAwait(false));
    }

    public async Task<bool> DeleteAsync(UserSpace user, long id, CancellationToken cancellationToken)
    {
        var service = await ServiceAsync(user, cancellationToken).ConfigureAwait(false);
        try
        {
            await service.ForgetAsync(id, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (NotFoundException)
        {
            return false;
        }
    }

    private static Task<FactService> ServiceAsync(UserSpace user, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        return user.FactServiceAsync(cancellationToken);
    }

    private static FactView View(Fact fact) => new(
        fact.Id, fact.Text, fact.Category, FactCodes.Code(fact.Source), fact.Confidence, fact.Importance, fact.SeenCount, fact.CreatedAt, fact.UpdatedAt,
        fact.Origin is { } o ? new FactOriginView(o.Kind, o.Id, o.MessageId, o.RunId) : null);
}
