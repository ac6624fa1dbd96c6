package org.tinysql.data;

/**
 * A generated example together with the structure it was rendered from, so corruptions can re-render it.
 *
 * @param index         position in the generated dataset
 * @param spec          the query structure
 * @param phrasingSeed  the seed of the instruction's template choices
 * @param variant       literal or synonym
 * @param row           the dataset row
 */
public record GeneratedExample(long index, QuerySpec spec, long phrasingSeed, Variant variant, TinySqlExample row) {
}
