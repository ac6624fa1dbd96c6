package org.tinysql.interp.study;

/**
 * The study's analysis families, one place for their names: the result files under {@code results/MODEL/} are
 * named {@code key} or {@code key-part} ({@code accuracy-cs3}, {@code circuit-context-table}, {@code minimal}), the
 * store adds up seconds per family by that prefix ({@link ResultStore#family}), and the time table has one column per
 * family, in this (study) order.
 */
enum Analysis {
    ACCURACY("accuracy", "accuracy"),
    CIRCUIT("circuit", "circuits"),
    MINIMAL("minimal", "minimal circuit"),
    LENS("lens", "logit lens"),
    SAE("sae", "SAEs"),
    PROBE("probe", "error probe"),
    HEURISTIC("heuristic", "heuristic");

    private final String key;
    private final String header;

    Analysis(String key, String header) {
        this.key = key;
        this.header = header;
    }

    /** @return the family's name in result files and {@code analysis_seconds} */
    String key() {
        return key;
    }

    /** @return the family's column header in the time table */
    String header() {
        return header;
    }

    /** @return the result name of the family's only analysis per model */
    String file() {
        return key;
    }

    /** @return the result name of one of the family's analyses ({@code part} names it: a command set, kind or hook) */
    String file(String part) {
        return key + "-" + part;
    }
}
