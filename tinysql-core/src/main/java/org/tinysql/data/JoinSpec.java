package org.tinysql.data;

/**
 * {@code JOIN right ON left.leftKey = right.rightKey}; the key columns have compatible kinds.
 */
public record JoinSpec(TableSchema right, Column leftKey, Column rightKey) {

    public String sql(String leftTable) {
        return "JOIN " + right.name() + " ON " + leftTable + "." + leftKey.name() + " = " + right.name() + "." + rightKey.name();
    }

    public JoinSpec withRight(TableSchema r) {
        return new JoinSpec(r, leftKey, rightKey);
    }
}
