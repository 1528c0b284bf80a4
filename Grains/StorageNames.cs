namespace PaySessions.Grains;

/// <summary>Names that tie grains to the providers the silo registers.</summary>
public static class StorageNames
{
    /// <summary>The CustomStorage log-consistency provider behind payment sessions.</summary>
    public const string SessionEvents = "SessionEvents";

    /// <summary>ADO.NET grain storage for records that are not event-sourced.</summary>
    public const string Businesses = "Businesses";
}
