package org.tinysql.data;

/** SQL aggregate functions used by command sets CS3 and up. */
public enum Aggregate {
    /** {@code COUNT(field)}: the number of rows; valid for every {@link FieldKind}. */
    COUNT,
    /** {@code SUM(field)}: the total; numeric kinds only. */
    SUM,
    /** {@code AVG(field)}: the mean; numeric kinds only. */
    AVG,
    /** {@code MIN(field)}: the smallest value; numeric, text and date kinds. */
    MIN,
    /** {@code MAX(field)}: the largest value; numeric, text and date kinds. */
    MAX
}
