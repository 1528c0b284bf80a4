using DbUp;
using DbUp.Engine.Output;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace PaySessions.Silo.Database;

/// <summary>
/// Brings the schema up to date from the versioned scripts in <c>deploy/sql</c> (embedded in
/// this assembly), each applied once, in name order, in its own transaction. Several silos may
/// start together on one database, so the whole run holds a PostgreSQL advisory lock.
/// </summary>
public static partial class DatabaseMigrator
{
    // Any fixed number unique to this purpose; "PaySe" in ASCII.
    private const long MigrationLockKey = 0x5061795365;

    public static async Task MigrateAsync(string connectionString, ILogger logger, CancellationToken cancellationToken = default)
    {
        await using var lockConnection = new NpgsqlConnection(connectionString);
        await lockConnection.OpenAsync(cancellationToken);
        await using (var take = new NpgsqlCommand("SELECT pg_advisory_lock($1)", lockConnection))
        {
            take.Parameters.Add(new NpgsqlParameter<long> { TypedValue = MigrationLockKey });
            await take.ExecuteNonQueryAsync(cancellationToken);
        }

        try
        {
            var upgrader = DeployChanges.To
                .PostgresqlDatabase(connectionString)
                .WithScriptsEmbeddedInAssembly(typeof(DatabaseMigrator).Assembly, name => name.EndsWith(".sql", StringComparison.Ordinal))
                .WithTransactionPerScript()
                .LogTo(new DbUpLog(logger))
                .Build();

            var result = upgrader.PerformUpgrade();
            if (!result.Successful)
            {
                throw new InvalidOperationException($"Database migration failed in script {result.ErrorScript?.Name}: {result.Error.Message}", result.Error);
            }

            var applied = result.Scripts.Count();
            LogMigrated(logger, applied);
        }
        finally
        {
            await using var release = new NpgsqlCommand("SELECT pg_advisory_unlock($1)", lockConnection);
            release.Parameters.Add(new NpgsqlParameter<long> { TypedValue = MigrationLockKey });
            await release.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Database schema is up to date ({Applied} scripts applied now)")]
    private static partial void LogMigrated(ILogger logger, int applied);

    [LoggerMessage(Message = "Migrator: {Message}")]
    private static partial void LogDbUp(ILogger logger, LogLevel level, Exception? exception, string message);

    private sealed class DbUpLog(ILogger logger) : IUpgradeLog
    {
        public void LogTrace(string format, params object[] args) => Write(LogLevel.Trace, null, format, args);

        public void LogDebug(string format, params object[] args) => Write(LogLevel.Debug, null, format, args);

        // DbUp narrates every script it looks at; that is debug detail for us.
        public void LogInformation(string format, params object[] args) => Write(LogLevel.Debug, null, format, args);

        public void LogWarning(string format, params object[] args) => Write(LogLevel.Warning, null, format, args);

        public void LogError(string format, params object[] args) => Write(LogLevel.Error, null, format, args);

        public void LogError(Exception ex, string format, params object[] args) => Write(LogLevel.Error, ex, format, args);

        private void Write(LogLevel level, Exception? exception, string format, object[] args)
        {
            if (logger.IsEnabled(level))
            {
                var message = string.Format(System.Globalization.CultureInfo.InvariantCulture, format, args);
                LogDbUp(logger, level, exception, message);
            }
        }
    }
}
