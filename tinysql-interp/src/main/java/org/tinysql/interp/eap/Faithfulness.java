package org.tinysql.interp.eap;

import java.util.ArrayList;
import java.util.List;
import org.tinysql.util.Progress;

/** Faithfulness of circuits of growing size: the curve and the area under it. */
public final class Faithfulness {

    /** How circuits of a given size are chosen from the scores. */
    public enum Selection {
        /** The n edges with the largest |score| ({@link EapResult#topN}). */
        TOP_N,
        /** Greedy growth from the logits ({@link EapResult#greedy}). */
        GREEDY;

        /**
         * Parses {@code top}, {@code top-n} or {@code greedy}, any case.
         *
         * @param s the name
         * @return the selection
         * @throws IllegalArgumentException if {@code s} names none
         */
        public static Selection parse(String s) {
            switch (s.trim().toLowerCase(java.util.Locale.ROOT)) {
                case "top":
                case "top-n":
                case "topn":
                    return TOP_N;
                case "greedy":
                    return GREEDY;
                default:
                    throw new IllegalArgumentException("unknown selection '" + s + "'; expected top-n or greedy");
            }
        }
    }

    /**
     * One point of the curve.
     *
     * @param edges           the circuit size asked for
     * @param edgesAfterPrune its size after pruning dangling edges
     * @param faithfulness    its faithfulness ({@link CircuitRunner#faithfulness})
     */
    public record Point(int edges, int edgesAfterPrune, double faithfulness) {
    }

    /**
     * The curve and its area over the edge fraction (trapezoids; 1 = every circuit size fully faithful).
     *
     * @param points     the points in size order
     * @param area       the area under faithfulness over edge fraction
     * @param totalEdges the graph's edge count (the fraction's denominator)
     */
    public record Curve(List<Point> points, double area, int totalEdges) {
    }

    private Faithfulness() {
    }

    /**
     * Evenly spaced circuit sizes 0..total (inclusive), about {@code count} of them.
     *
     * @param total the graph's edge count
     * @param count the number of sizes wanted, at least 2 used
     * @return ascending sizes from 0 to {@code total}
     */
    public static int[] sizes(int total, int count) {
        int k = Math.max(2, count);
        int[] s = new int[k];
        for (int i = 0; i < k; i++) {
            s[i] = (int) Math.round(total * (double) i / (k - 1));
        }
        return s;
    }

    /**
     * A circuit of n edges chosen from the scores.
     *
     * @param scores    the edge scores
     * @param selection how edges are chosen
     * @param n         the number of edges
     * @param prune     whether dangling edges are then removed
     * @return a new circuit
     */
    public static Circuit select(EapResult scores, Selection selection, int n, boolean prune) {
        Circuit c = selection == Selection.GREEDY ? scores.greedy(n) : scores.topN(n);
        if (prune) {
            c.prune();
        }
        return c;
    }

    /**
     * Runs {@code runner} on circuits of each size.
     *
     * @param scores    the edge scores
     * @param runner    runs circuits of the same graph
     * @param selection how edges are chosen
     * @param sizes     the circuit sizes, ascending (see {@link #sizes})
     * @param prune     whether dangling edges are removed
     * @param progress  advanced by one per size
     * @return the curve and its area
     */
    public static Curve curve(EapResult scores, CircuitRunner runner, Selection selection, int[] sizes, boolean prune, Progress progress) {
        List<Point> pts = new ArrayList<>();
        int total = scores.graph().edgeCount();
        for (int n : sizes) {
            Circuit c = select(scores, selection, n, prune);
            pts.add(new Point(n, c.edgeCount(), runner.faithfulness(c)));
            progress.advance(1);
        }
        double area = 0;
        for (int i = 1; i < pts.size(); i++) {
            double dx = (pts.get(i).edges() - pts.get(i - 1).edges()) / (double) total;
            area += dx * (pts.get(i).faithfulness() + pts.get(i - 1).faithfulness()) / 2;
        }
        return new Curve(pts, area, total);
    }
}
