package org.tinysql.data;

/** SQL aggregate functions used by command sets CS3 and up. */
public enum Aggregate {
    COUNT, SUM, AVG, MIN, MAX
}
