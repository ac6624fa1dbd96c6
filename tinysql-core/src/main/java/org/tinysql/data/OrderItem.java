package org.tinysql.data;

/** An ORDER BY item: a plain column or an aggregate expression with its direction. */
public record OrderItem(SelectItem target, boolean descending) {

    public String sql() {
        return target.expression() + (descending ? " DESC" : " ASC");
    }

    public OrderItem withTarget(SelectItem t) {
        return new OrderItem(t, descending);
    }

    public OrderItem withDescending(boolean d) {
        return new OrderItem(target, d);
    }
}
