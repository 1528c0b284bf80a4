using Microsoft.Extensions.Options;

namespace PaySessions.Grains.Idempotency;

/// <summary>Idempotency keys of the merchant API (<c>PaySessions:Idempotency</c>).</summary>
public sealed class IdempotencyOptions
{
    public const string Section = "PaySessions:Idempotency";

    /// <summary>How long a key answers its first request's answer (from the key's first use), as Stripe's 24 hours.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// How long a request may hold its key while it runs. Meanwhile other requests with the key get
    /// 409; past it (a node that died mid-request) the same request may take the key over and run.
    /// Longer than any request takes: a payment initiation's lease (<c>PaySessions:Sessions:InitiationLease</c>,
    /// 1 minute) bounds the slowest, a provider call.
    /// </summary>
    public TimeSpan LockTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How often each node deletes expired keys.</summary>
    public TimeSpan PurgeInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The longest retention accepted: keys are a retry aid, not an archive.</summary>
    public static readonly TimeSpan MaxRetention = TimeSpan.FromDays(30);
}

/// <summary>Refuses settings that could not be kept: start-up stops with a sentence naming the key.</summary>
public sealed class IdempotencyOptionsValidator : IValidateOptions<IdempotencyOptions>
{
    public ValidateOptionsResult Validate(string? name, IdempotencyOptions options)
    {
        var failures = new List<string>();
        if (options.Retention <= TimeSpan.Zero || options.Retention > IdempotencyOptions.MaxRetention)
        {
            failures.Add($"{IdempotencyOptions.Section}:Retention must be positive and at most {IdempotencyOptions.MaxRetention.TotalDays:0} days (it is {options.Retention}).");
        }

        // A key must not expire while its first request still holds it, or another request could
        // take it over as a new key and run a second time.
        if (options.LockTimeout <= TimeSpan.Zero || options.LockTimeout >= options.Retention)
        {
            failures.Add($"{IdempotencyOptions.Section}:LockTimeout must be positive and shorter than {IdempotencyOptions.Section}:Retention (it is {options.LockTimeout}).");
        }

        if (options.PurgeInterval <= TimeSpan.Zero)
        {
            failures.Add($"{IdempotencyOptions.Section}:PurgeInterval must be positive (it is {options.PurgeInterval}).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
