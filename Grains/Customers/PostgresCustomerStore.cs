using System.Text.Json;
using System.Text.Json.Serialization;
using Npgsql;
using NpgsqlTypes;

namespace PaySessions.Grains.Customers;

/// <summary>The <c>customers</c> table (deploy/sql/0008_subaccounts_customers.sql).</summary>
public sealed class PostgresCustomerStore(NpgsqlDataSource dataSource) : ICustomerStore
{
    // The details column uses the Xendit-style field names and values (given_names, INDIVIDUAL), so
    // it reads as the merchant wrote it.
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.General)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseUpper) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    // A few rounds at most: a row that a concurrent insert committed after this statement's
    // snapshot is invisible to its SELECT (the insert did nothing, the select found nothing);
    // the next statement sees it.
    private const int MaxRounds = 3;

    public async Task<(Customer Stored, bool Inserted)> InsertOrGetAsync(Customer candidate, CancellationToken cancellationToken = default)
    {
        for (var round = 0; round < MaxRounds; round++)
        {
            await using var command = dataSource.CreateCommand(
                """
                WITH inserted AS (
                    INSERT INTO customers (customer_id, business_id, livemode, reference_id, created_at, details)
                    VALUES ($1, $2, $3, $4, $5, $6::jsonb)
                    ON CONFLICT (business_id, livemode, reference_id) DO NOTHING
                    RETURNING customer_id, created_at, details::text, true AS inserted)
                SELECT * FROM inserted
                UNION ALL
                SELECT customer_id, created_at, details::text, false FROM customers
                WHERE business_id = $2 AND livemode = $3 AND reference_id = $4 AND NOT EXISTS (SELECT 1 FROM inserted)
                """);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = candidate.CustomerId });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = candidate.BusinessId });
            command.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = candidate.Livemode });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = candidate.Details.ReferenceId });
            command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = candidate.CreatedAt.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = JsonSerializer.Serialize(candidate.Details, Json) });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                var stored = candidate with
                {
                    CustomerId = reader.GetString(0),
                    CreatedAt = new DateTimeOffset(reader.GetFieldValue<DateTime>(1), TimeSpan.Zero),
                    Details = Details(reader.GetString(2)),
                };
                return (stored, reader.GetBoolean(3));
            }
        }

        throw new InvalidOperationException($"Customer reference of business {candidate.BusinessId} could be neither inserted nor read.");
    }

    public async Task<Customer?> GetAsync(string customerId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT business_id, livemode, created_at, details::text FROM customers WHERE customer_id = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = customerId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new Customer(
                customerId, reader.GetString(0), reader.GetBoolean(1), new DateTimeOffset(reader.GetFieldValue<DateTime>(2), TimeSpan.Zero), Details(reader.GetString(3)))
            : null;
    }

    private static CustomerDetails Details(string json) =>
        JsonSerializer.Deserialize<CustomerDetails>(json, Json) ?? throw new InvalidOperationException("A stored customer has no details.");
}
