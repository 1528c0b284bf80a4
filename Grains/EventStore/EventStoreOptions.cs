using Microsoft.Extensions.Options;

namespace PaySessions.Grains.EventStore;

/// <summary>
/// Group commit of session appends (<c>PaySessions:EventStore</c>). Each writer takes the appends
/// waiting for it and commits them in one transaction; an append alone is written at once,
/// whatever <see cref="MaxBatchWait"/> says.
/// </summary>
public sealed class EventStoreOptions
{
    public const string Section = "PaySessions:EventStore";

    /// <summary>
    /// Writers per silo (default 2), each with its own queue and connection: one collects and
    /// sends a batch while another waits for its commit. A stream always goes to the same writer,
    /// so its appends stay in order.
    /// </summary>
    public int Writers { get; set; } = 2;

    /// <summary>The most appends one transaction holds.</summary>
    public int MaxBatchSize { get; set; } = 64;

    /// <summary>
    /// How long a batch that already holds two or more appends may wait for more before it is
    /// written (default 1 ms). An append with nobody else waiting never waits; zero writes whatever
    /// is waiting as soon as the previous commit is done.
    /// </summary>
    public TimeSpan MaxBatchWait { get; set; } = TimeSpan.FromMilliseconds(1);

    /// <summary>Appends that may wait for each writer; past this, a new append waits for room.</summary>
    public int QueueCapacity { get; set; } = 4096;

    /// <summary>
    /// How long a writer keeps sending a batch again after its connection broke (default 5 s;
    /// zero: never). PostgreSQL restarting or failing over to its replica breaks every connection
    /// at once; a batch sent again on a new connection within this window lands, and its appends
    /// are answered as if nothing had happened. Sending again is safe even when the lost
    /// connection had committed the batch: an append already stored is recognized by its event
    /// ids and answered as appended, never written twice. Past the window, the appends fail with
    /// the connection's error (the client sees 503).
    /// </summary>
    public TimeSpan RetryWindow { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The most bulk expiries one sweep transaction holds (default 64). A live append that arrives
    /// while a writer commits a sweep chunk waits for that one chunk, so a smaller chunk keeps live
    /// latency closer to normal during a sweep, a larger one expires a backlog with fewer commits.
    /// </summary>
    public int SweepChunkSize { get; set; } = 64;

    /// <summary>
    /// While live appends keep a writer busy, it still writes one sweep chunk after this many live
    /// batches in a row (default 4), so a sweep's share is capped but never nothing. When no live
    /// append waits, sweep chunks go out back to back.
    /// </summary>
    public int LiveBatchesPerSweepChunk { get; set; } = 4;
}

public sealed class EventStoreOptionsValidator : IValidateOptions<EventStoreOptions>
{
    public ValidateOptionsResult Validate(string? name, EventStoreOptions options)
    {
        var failures = new List<string>();
        if (options.Writers is < 1 or > 16)
        {
            failures.Add($"{EventStoreOptions.Section}:Writers must be between 1 and 16.");
        }

        if (options.MaxBatchSize is < 1 or > 1000)
        {
            failures.Add($"{EventStoreOptions.Section}:MaxBatchSize must be between 1 and 1000.");
        }

        if (options.MaxBatchWait < TimeSpan.Zero || options.MaxBatchWait > TimeSpan.FromSeconds(1))
        {
            failures.Add($"{EventStoreOptions.Section}:MaxBatchWait must be between 0 and 1 second.");
        }

        if (options.SweepChunkSize is < 1 or > 1000)
        {
            failures.Add($"{EventStoreOptions.Section}:SweepChunkSize must be between 1 and 1000.");
        }

        if (options.LiveBatchesPerSweepChunk is < 1 or > 1000)
        {
            failures.Add($"{EventStoreOptions.Section}:LiveBatchesPerSweepChunk must be between 1 and 1000.");
        }

        if (options.RetryWindow < TimeSpan.Zero || options.RetryWindow > TimeSpan.FromMinutes(1))
        {
            failures.Add($"{EventStoreOptions.Section}:RetryWindow must be between 0 and 1 minute.");
        }

        if (options.QueueCapacity < options.MaxBatchSize)
        {
            failures.Add($"{EventStoreOptions.Section}:QueueCapacity must be at least MaxBatchSize.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
