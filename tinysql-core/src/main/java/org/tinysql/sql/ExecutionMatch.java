package org.tinysql.sql;

import java.sql.SQLException;
import java.sql.SQLTimeoutException;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import net.sf.jsqlparser.statement.select.Select;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Execution match: builds the Context's schema in a fresh in-memory H2 database, fills it with seeded random rows
 * (plus rows that hit the gold query's WHERE literals, so conditions are tested both ways), runs gold and
 * prediction, and compares the results as multisets of rows (as sequences of runs of rows that tie on the sort keys
 * when the gold has ORDER BY, see {@link OrderTies}). Column order is ignored: columns are matched by their values
 * and then by whole rows.
 *
 * <p>Context, gold and prediction are all untrusted. The schema is written from a validated {@link ContextSchema},
 * never from the Context text. Gold and prediction must each be exactly one SELECT that passes {@link QueryPolicy};
 * what runs is the parsed statement re-rendered by the parser (so comments and anything the parser did not see
 * never reach H2), as a non-admin user that may only read the Context's tables, with H2's statement timeout and
 * caps on rows and characters. Every item gets its own database ({@link SandboxDatabase}) and runs on a worker
 * that is abandoned at a hard deadline ({@link DeadlineRunner}), so no item can slow, break or change the score of
 * another. Every failure is a "wrong" result with the reason: no exception escapes {@link #score}.
 *
 * <p>Thread-safe but serial (one worker); use one instance per scoring thread. Close it to stop the worker.
 */
public final class ExecutionMatch implements SqlScorer, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ExecutionMatch.class);

    private final int rowsPerTable;
    private final int timeoutSeconds;
    private final DeadlineRunner runner = new DeadlineRunner("tinysql-execution");

    /** A scorer with 24 random rows per table and a 2-second statement timeout. */
    public ExecutionMatch() {
        this(24, 2);
    }

    /**
     * @param rowsPerTable   random rows inserted into each table
     * @param timeoutSeconds statement timeout for the gold and the predicted query; the whole item (schema, gold
     *                       and prediction) gets {@link #deadlineMillis() twice that plus one second}
     */
    public ExecutionMatch(int rowsPerTable, int timeoutSeconds) {
        this.rowsPerTable = rowsPerTable;
        this.timeoutSeconds = timeoutSeconds;
    }

    @Override
    public String name() {
        return "execution";
    }

    /**
     * The hard wall-clock budget of one item.
     *
     * @return {@code 2000 * timeoutSeconds + 1000} milliseconds
     */
    public long deadlineMillis() {
        return 2_000L * timeoutSeconds + 1_000;
    }

    @Override
    public ScoreResult score(String context, String gold, String predicted) {
        ScoreResult rejected = SqlScorer.rejectUnscorable(predicted);
        if (rejected != null) {
            return rejected;
        }
        AtomicReference<SandboxDatabase> db = new AtomicReference<>();
        try {
            return runner.run(() -> scoreItem(context, gold, predicted, db), deadlineMillis(), () -> {
                SandboxDatabase d = db.get();
                if (d != null) {
                    d.cancel();
                }
            });
        } catch (TimeoutException e) {
            return ScoreResult.wrong("timed out: no result within " + deadlineMillis() + " ms");
        } catch (ExecutionException e) {
            LOG.warn("execution scorer failed on an item: {}", e.getCause().toString());
            return ScoreResult.wrong("scorer error: " + ReasonText.firstLine(e.getCause()));
        }
    }

    private ScoreResult scoreItem(String context, String gold, String predicted, AtomicReference<SandboxDatabase> db) {
        Select goldSelect;
        try {
            goldSelect = SqlParsing.parseSingleSelect(gold);
        } catch (SqlRejectedException e) {
            return ScoreResult.wrong("gold SQL rejected: " + e.getMessage());
        }
        Select predictedSelect;
        try {
            predictedSelect = SqlParsing.parseSingleSelect(predicted);
        } catch (SqlRejectedException e) {
            return ScoreResult.wrong("unparsable: " + e.getMessage());
        }
        ContextSchema schema;
        try {
            schema = ContextSchema.parse(context);
        } catch (SqlRejectedException e) {
            return ScoreResult.wrong("cannot build the Context schema: " + e.getMessage());
        }
        Set<String> tables = new HashSet<>();
        schema.tables().forEach(t -> tables.add(t.name()));
        try {
            QueryPolicy.check(goldSelect, tables);
        } catch (SqlRejectedException e) {
            return ScoreResult.wrong("gold SQL rejected: " + e.getMessage());
        }
        try {
            QueryPolicy.check(predictedSelect, tables);
        } catch (SqlRejectedException e) {
            return ScoreResult.wrong("rejected: " + e.getMessage());
        }
        Select keyedGold = null;
        try {
            keyedGold = OrderTies.withKeys(goldSelect.toString());
            if (keyedGold != null) {
                QueryPolicy.check(keyedGold, tables);
            }
        } catch (SqlRejectedException e) {
            keyedGold = null;   // compare the order strictly
        }
        try (SandboxDatabase d = SandboxDatabase.create(schema, new RowGenerator(context, gold), rowsPerTable)) {
            db.set(d);
            return compare(d, goldSelect, keyedGold, predictedSelect);
        } catch (SQLException e) {
            return ScoreResult.wrong("cannot build the Context tables: " + ReasonText.firstLine(e));
        } catch (OutOfMemoryError e) {
            return ScoreResult.wrong("out of memory while executing");
        } catch (StackOverflowError e) {
            return ScoreResult.wrong("nested too deeply to execute");
        }
    }

    /**
     * Runs both and compares. With an ORDER BY in the gold, {@code keyedGold} (the gold returning its sort keys too, see
     * {@link OrderTies}) tells which rows tie; when it is null or fails the order is compared strictly.
     */
    private ScoreResult compare(SandboxDatabase db, Select gold, Select keyedGold, Select predicted) {
        QueryResult want = null;
        int[] tieGroups = null;
        boolean ordered = gold.getOrderByElements() != null && !gold.getOrderByElements().isEmpty();
        if (keyedGold != null) {
            try {
                QueryResult keyed = db.query(keyedGold.toString(), timeoutSeconds);
                int keys = gold.getOrderByElements().size();
                want = OrderTies.withoutKeys(keyed, keys);
                tieGroups = OrderTies.groups(keyed, keys);
            } catch (SQLException | SqlRejectedException e) {
                LOG.debug("the gold with its sort keys failed ({}); comparing the order strictly", ReasonText.firstLine(e));
            }
        }
        if (want == null) {
            try {
                want = db.query(gold.toString(), timeoutSeconds);
            } catch (SQLException | SqlRejectedException e) {
                return ScoreResult.wrong("gold SQL failed: " + ReasonText.firstLine(e));
            }
            tieGroups = ordered ? QueryResult.strictOrder(want.rows().size()) : null;
        }
        QueryResult got;
        try {
            got = db.query(predicted.toString(), timeoutSeconds);
        } catch (SQLTimeoutException e) {
            return ScoreResult.wrong("timed out after " + timeoutSeconds + " s");
        } catch (SQLException | SqlRejectedException e) {
            return ScoreResult.wrong("execution error: " + ReasonText.firstLine(e));
        }
        String diff = QueryResult.compare(want, got, tieGroups);
        return diff == null ? ScoreResult.right() : ScoreResult.wrong(diff);
    }

    @Override
    public void close() {
        runner.close();
    }
}
