package org.tinysql.interp.patching;

import java.util.List;
import java.util.Locale;

/**
 * A patching sweep's values (normalized metric, or its attribution estimate) over rows (layers) and columns
 * (positions or heads).
 *
 * @param name    the sweep's title, e.g. {@code resid_pre (layer x position)}
 * @param rows    the row labels, one per layer
 * @param columns the column labels, one per position or head
 * @param values  [rows][columns] the values
 */
public record PatchingResult(String name, List<String> rows, List<String> columns, double[][] values) {

    /**
     * One value.
     *
     * @param r the row index
     * @param c the column index
     * @return {@code values[r][c]}
     */
    public double get(int r, int c) {
        return values[r][c];
    }

    /**
     * The (row, column) with the largest |value|.
     *
     * @return {row, column}; the first such cell on ties
     */
    public int[] argMaxAbs() {
        int[] best = {0, 0};
        for (int r = 0; r < values.length; r++) {
            for (int c = 0; c < values[r].length; c++) {
                if (Math.abs(values[r][c]) > Math.abs(values[best[0]][best[1]])) {
                    best = new int[] {r, c};
                }
            }
        }
        return best;
    }

    /**
     * All values row-major (for correlations).
     *
     * @return a new array of rows*columns values
     */
    public double[] flat() {
        double[] f = new double[values.length * values[0].length];
        for (int r = 0; r < values.length; r++) {
            System.arraycopy(values[r], 0, f, r * values[0].length, values[0].length);
        }
        return f;
    }

    /**
     * The sweep as a text table: the name, a header of (at most 7-character) column labels, then one line per row.
     *
     * @return the table, values with 3 decimals
     */
    public String format() {
        StringBuilder sb = new StringBuilder(name).append('\n').append(String.format(Locale.ROOT, "%-8s", ""));
        for (String c : columns) {
            sb.append(String.format(Locale.ROOT, " %7s", c.length() > 7 ? c.substring(0, 7) : c));
        }
        sb.append('\n');
        for (int r = 0; r < rows.size(); r++) {
            sb.append(String.format(Locale.ROOT, "%-8s", rows.get(r)));
            for (double v : values[r]) {
                sb.append(String.format(Locale.ROOT, " %7.3f", v));
            }
            sb.append('\n');
        }
        return sb.toString();
    }
}
