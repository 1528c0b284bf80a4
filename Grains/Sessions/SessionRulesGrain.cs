using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace PaySessions.Grains.Sessions;

/// <summary>
/// <see cref="MoneyRules"/> asked ahead of a create, with the clock and the default expiry the
/// session grain itself uses, so the answer is the one its <c>Create</c> would give (the session
/// grain still judges again: this is a preview, never a permission).
/// </summary>
[StatelessWorker]
[Reentrant]
public sealed class SessionRulesGrain(TimeProvider clock, IOptions<PaymentSessionOptions> options) : Grain, ISessionRulesGrain
{
    public Task<SessionRuleViolation?> Check(CreateSession command)
    {
        var now = clock.GetUtcNow();
        return Task.FromResult(MoneyRules.Check(command, now, command.ExpiresAt ?? now + options.Value.Expiry));
    }
}
