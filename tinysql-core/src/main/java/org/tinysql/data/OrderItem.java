package org.tinysql.data;

/**
 * An ORDER BY item: a plain column or an aggregate expression with its direction.
 *
 * @param target     the ordered expression (its {@link SelectItem#expression()} is written)
 * @param descending whether the order is DESC rather than ASC
 */
public record OrderItem(SelectItem target, boolean descending) {

    /**
     * The item as written after ORDER BY.
     *
     * @return the item as written after ORDER BY, e.g. {@code price DESC} or {@code COUNT(id) ASC}
     */
    public String sql() {
        return target.expression() + (descending ? " DESC" : " ASC");
    }

    /**
     * A copy ordering another expression.
     *
     * @param t the new target
     * @return the copy, same direction
     */
    public OrderItem withTarget(SelectItem t) {
        return new OrderItem(t, descending);
    }

    /**
     * A copy with another direction.
     *
     * @param d whether the copy orders descending
     * @return the copy, same target
     */
    public OrderItem withDescending(boolean d) {
        return new OrderItem(target, d);
    }
}
