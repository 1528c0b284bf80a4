namespace PaySessions.Tests.Infrastructure;

/// <summary>A collection the in-memory exporters write into from their own threads (other tests' telemetry too), read as snapshots.</summary>
public sealed class LockedList<T> : System.Collections.ObjectModel.Collection<T>
{
    private readonly Lock _lock = new();

    public List<T> Snapshot()
    {
        lock (_lock)
        {
            return [.. Items];
        }
    }

    protected override void InsertItem(int index, T item)
    {
        lock (_lock)
        {
            base.InsertItem(index, item);
        }
    }

    protected override void ClearItems()
    {
        lock (_lock)
        {
            base.ClearItems();
        }
    }
}
