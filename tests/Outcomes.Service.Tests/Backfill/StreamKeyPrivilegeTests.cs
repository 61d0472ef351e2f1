using Npgsql;
using Outcomes.Service.Backfill;
using Outcomes.Service.Tests.Fixtures;

namespace Outcomes.Service.Tests.Backfill;

/// The backfill skips Marten's per-row check of each event's stream only where the database role may: a role without
/// the privilege would fail the whole batch on `set session_replication_role`, so the writer asks first and, refused,
/// copies with the key checked.
public sealed class StreamKeyPrivilegeTests(ServicesFixture services) : IClassFixture<ServicesFixture>
{
    [Fact]
    public async Task RoleWithoutThePrivilege_CannotSkipTheKeyCheck_AndTheWriterDoesNotTry()
    {
        var suffix = Guid.NewGuid().ToString("N")[..10];
        var (plain, granted) = ($"outcomes_t_plain_{suffix}", $"outcomes_t_granted_{suffix}");
        await Execute(services.PostgresConnection,
            $"create role {plain} login password 'p'; create role {granted} login password 'p'; " +
            $"grant set on parameter session_replication_role to {granted}");
        try
        {
            // Unguarded, the plain role's batch would fail here.
            var refused = await Assert.ThrowsAsync<PostgresException>(() => Execute(As(plain), "begin; set local session_replication_role = replica; commit"));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);

            Assert.False(await May(As(plain)));
            Assert.True(await May(As(granted)));
            Assert.True(await May(services.PostgresConnection));
        }
        finally
        {
            await Execute(services.PostgresConnection,
                $"revoke set on parameter session_replication_role from {granted}; drop role {plain}; drop role {granted}");
        }
    }

    private string As(string role) =>
        new NpgsqlConnectionStringBuilder(services.PostgresConnection) { Username = role, Password = "p", Pooling = false }.ConnectionString;

    private static async Task<bool> May(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        return await BackfillWriter.MaySetReplicationRole(connection, transaction, CancellationToken.None);
    }

    private static async Task Execute(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
