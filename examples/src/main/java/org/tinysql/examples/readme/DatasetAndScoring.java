package org.tinysql.examples.readme;

// README-BEGIN
import org.tinysql.data.CommandSet;
import org.tinysql.data.DatasetGenerator;
import org.tinysql.data.TinySqlExample;
import org.tinysql.data.Variant;
import org.tinysql.sql.ExecutionMatch;
import org.tinysql.sql.ScoreResult;

/** A CS4 synonym example and the execution scorer on a wrong prediction. */
public final class DatasetAndScoring {
    public static void main(String[] args) throws Exception {
        DatasetGenerator gen = new DatasetGenerator(CommandSet.CS4, Variant.SYNONYM, 42);
        TinySqlExample ex = gen.example(0, 1).row();
        System.out.println(ex.prompt());          // ### Instruction: ... ### Context: CREATE TABLE ... ### Response:
        System.out.println(ex.sqlStatement());    // SELECT ... FROM ... WHERE ...
        try (ExecutionMatch exec = new ExecutionMatch()) {
            // runs both queries on a private in-memory H2 database built from the CREATE statement
            ScoreResult r = exec.score(ex.createStatement(), ex.sqlStatement(), "SELECT name FROM products");
            System.out.println(r.correct() + " " + r.reason());
        }
    }
}
// README-END
