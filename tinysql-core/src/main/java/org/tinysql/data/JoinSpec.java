package org.tinysql.data;

/**
 * {@code JOIN right ON left.leftKey = right.rightKey}; the key columns have compatible kinds.
 *
 * @param right    the joined table
 * @param leftKey  the key column of the FROM table
 * @param rightKey the key column of {@code right}
 */
public record JoinSpec(TableSchema right, Column leftKey, Column rightKey) {

    /**
     * The JOIN clause, e.g. {@code JOIN orders ON customers.id = orders.customer_id}.
     *
     * @param leftTable the FROM table's name, qualifying {@code leftKey}
     * @return the clause
     */
    public String sql(String leftTable) {
        return "JOIN " + right.name() + " ON " + leftTable + "." + leftKey.name() + " = " + right.name() + "." + rightKey.name();
    }

    /**
     * A copy joining another table.
     *
     * @param r the new joined table (it must hold {@code rightKey})
     * @return the copy, same keys
     */
    public JoinSpec withRight(TableSchema r) {
        return new JoinSpec(r, leftKey, rightKey);
    }
}
