using System.Net.Sockets;
using Npgsql;
using PaySessions.Api.Http;

namespace PaySessions.Tests.Api;

/// <summary>Which failures are "not now" (503) and which are faults (500), however they arrive wrapped.</summary>
public sealed class TransientFailureClassificationTests
{
    public static TheoryData<Exception> Transient => new()
    {
        new TimeoutException("grain call timed out"),
        new Orleans.Runtime.SiloUnavailableException("silo died"),
        (Exception)System.Runtime.CompilerServices.RuntimeHelpers.GetUninitializedObject(typeof(Orleans.Runtime.OrleansMessageRejectionException)),
        new PostgresException("terminating connection due to administrator command", "FATAL", "FATAL", "57P01"),
        new PostgresException("the database system is starting up", "FATAL", "FATAL", "57P03"),
        new PostgresException("could not serialize access", "ERROR", "ERROR", "40001"),
        new NpgsqlException("Failed to connect to 127.0.0.1:5432", new SocketException((int)SocketError.ConnectionRefused)),
        new Orleans.Runtime.OrleansException("Error from storage provider", new NpgsqlException("Exception while reading from stream", new IOException("reset"))),
        new AggregateException(new InvalidOperationException("other"), new Orleans.Runtime.SiloUnavailableException()),
    };

    public static TheoryData<Exception> Faults => new()
    {
        new InvalidOperationException("a bug"),
        new PostgresException("duplicate key value violates unique constraint", "ERROR", "ERROR", "23505"),
        new PostgresException("syntax error", "ERROR", "ERROR", "42601"),
        new Orleans.Runtime.OrleansException("Error from storage provider", new ArgumentException("bad")),
    };

    [Theory]
    [MemberData(nameof(Transient))]
    public void A_transient_database_or_cluster_failure_is_transient_however_wrapped(Exception failure) =>
        Assert.True(TransientFailures.IsTransient(failure), failure.ToString());

    [Theory]
    [MemberData(nameof(Faults))]
    public void A_fault_is_not_transient(Exception failure) =>
        Assert.False(TransientFailures.IsTransient(failure), failure.ToString());
}
