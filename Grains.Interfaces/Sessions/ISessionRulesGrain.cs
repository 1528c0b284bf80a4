namespace PaySessions.Grains.Sessions;

/// <summary>
/// The rules of money and time a new session must hold, asked without creating anything: the
/// same judgement the session grain's <c>Create</c> makes, for a front door that must write
/// something of its own first (a customer record) and may do so only for a command the session
/// grain would take. Stateless: any silo answers, from the command alone and the clock.
/// </summary>
[Alias("PaySessions.ISessionRulesGrain")]
public interface ISessionRulesGrain : IGrainWithIntegerKey
{
    /// <summary>The first rule <paramref name="command"/> breaks, or null when the session grain would accept it.</summary>
    [Alias("Check")]
    Task<SessionRuleViolation?> Check(CreateSession command);
}

public static class SessionRulesCheck
{
    /// <summary>Asks the rules of a new session (a local stateless worker: no network hop, no state).</summary>
    public static Task<SessionRuleViolation?> CheckSessionRules(this IGrainFactory grains, CreateSession command) =>
        grains.GetGrain<ISessionRulesGrain>(0).Check(command);
}
