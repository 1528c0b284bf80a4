using Microsoft.Extensions.Options;

namespace PaySessions.Grains.EventStore;

/// <summary>
/// Group commit of session appends (<c>PaySessions:EventStore</c>). One writer per silo takes the
/// appends that are waiting and commits them in one transaction; an append alone is written at
/// once, whatever <see cref="MaxBatchWait"/> says.
/// </summary>
public sealed class EventStoreOptions
{
    public const string Section = "PaySessions:EventStore";

    /// <summary>The most appends one transaction holds.</summary>
    public int MaxBatchSize { get; set; } = 64;

    /// <summary>
    /// How long a batch that already holds two or more appends may wait for more before it is
    /// written (default 1 ms). An append with nobody else waiting never waits; zero writes whatever
    /// is waiting as soon as the previous commit is done.
    /// </summary>
    public TimeSpan MaxBatchWait { get; set; } = TimeSpan.FromMilliseconds(1);

    /// <summary>Appends that may wait for the writer; past this, a new append waits for room.</summary>
    public int QueueCapacity { get; set; } = 4096;
}

public sealed class EventStoreOptionsValidator : IValidateOptions<EventStoreOptions>
{
    public ValidateOptionsResult Validate(string? name, EventStoreOptions options)
    {
        var failures = new List<string>();
        if (options.MaxBatchSize is < 1 or > 1000)
        {
            failures.Add($"{EventStoreOptions.Section}:MaxBatchSize must be between 1 and 1000.");
        }

        if (options.MaxBatchWait < TimeSpan.Zero || options.MaxBatchWait > TimeSpan.FromSeconds(1))
        {
            failures.Add($"{EventStoreOptions.Section}:MaxBatchWait must be between 0 and 1 second.");
        }

        if (options.QueueCapacity < options.MaxBatchSize)
        {
            failures.Add($"{EventStoreOptions.Section}:QueueCapacity must be at least MaxBatchSize.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
