namespace PaySessions.Grains;

/// <summary>Names that tie grains to the providers the silo registers.</summary>
public static class StorageNames
{
    /// <summary>The CustomStorage log-consistency provider behind payment sessions.</summary>
    public const string SessionEvents = "SessionEvents";

    /// <summary>ADO.NET grain storage for merchant records (businesses, API keys): not event-sourced.</summary>
    public const string Merchants = "Merchants";
}
