package org.tinysql.sql;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.UUID;

/**
 * A fresh private in-memory H2 database for one scored item. The admin connection only runs DDL written from a
 * validated {@link ContextSchema} and parameterised INSERTs; queries run on a second connection as a user that has
 * no admin rights (so no file functions, no {@code CREATE ALIAS}, no {@code LINK_SCHEMA}) and may only SELECT from
 * the Context's tables. Closing it drops the database, so nothing one item does can reach another.
 */
final class SandboxDatabase implements AutoCloseable {
    private static final String READER = "TINYSQL_READER";

    private final Connection admin;
    private final Connection reader;
    private volatile Statement running;

    private SandboxDatabase(Connection admin, Connection reader) {
        this.admin = admin;
        this.reader = reader;
    }

    /** Creates the tables of {@code schema} and fills each with {@code rowsPerTable} rows from {@code rows}. */
    static SandboxDatabase create(ContextSchema schema, RowGenerator rows, int rowsPerTable) throws SQLException {
        // Identifiers are compared case-insensitively so that quoted and unquoted Context names both work.
        String url = "jdbc:h2:mem:tinysql_" + UUID.randomUUID().toString().replace("-", "")
                + ";CASE_INSENSITIVE_IDENTIFIERS=TRUE";
        String password = UUID.randomUUID().toString();
        Connection admin = DriverManager.getConnection(url, "sa", "");
        try {
            try (Statement s = admin.createStatement()) {
                s.execute("CREATE USER " + READER + " PASSWORD '" + password + "'");
                for (ContextSchema.Table t : schema.tables()) {
                    s.execute(t.ddl());
                    s.execute("GRANT SELECT ON " + ContextSchema.quoted(t.name()) + " TO " + READER);
                }
            }
            for (ContextSchema.Table t : schema.tables()) {
                fill(admin, t, rows, rowsPerTable);
            }
            Connection reader = DriverManager.getConnection(url, READER, password);
            return new SandboxDatabase(admin, reader);
        } catch (SQLException | RuntimeException e) {
            admin.close();
            throw e;
        }
    }

    private static void fill(Connection admin, ContextSchema.Table t, RowGenerator rows, int rowsPerTable)
            throws SQLException {
        List<ContextSchema.Column> cols = t.columns();
        StringBuilder ins = new StringBuilder("INSERT INTO ").append(ContextSchema.quoted(t.name())).append(" VALUES (");
        for (int i = 0; i < cols.size(); i++) {
            ins.append(i > 0 ? ", ?" : "?");
        }
        ins.append(')');
        try (PreparedStatement ps = admin.prepareStatement(ins.toString())) {
            for (int row = 0; row < rowsPerTable; row++) {
                for (int i = 0; i < cols.size(); i++) {
                    ps.setObject(i + 1, rows.next(cols.get(i)));
                }
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    /**
     * Runs a SELECT as the read-only user with H2's statement timeout.
     *
     * @throws SqlRejectedException when the result is larger than {@link QueryResult}'s budget
     */
    QueryResult query(String sql, int timeoutSeconds) throws SQLException, SqlRejectedException {
        try (Statement st = reader.createStatement()) {
            st.setQueryTimeout(timeoutSeconds);
            st.setMaxRows(QueryResult.MAX_ROWS + 1);
            running = st;
            try (var rs = st.executeQuery(sql)) {
                return QueryResult.read(rs);
            } finally {
                running = null;
            }
        }
    }

    /** Asks H2 to stop the running query (from any thread); H2 checks for this between rows. */
    void cancel() {
        Statement st = running;
        if (st != null) {
            try {
                st.cancel();
            } catch (SQLException e) {
                // The statement has finished or its connection is closed: nothing is left to stop.
            }
        }
    }

    @Override
    public void close() throws SQLException {
        try {
            reader.close();
        } finally {
            admin.close();
        }
    }
}
