package org.tinysql.data;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The phrase lists {@link EnglishRenderer} draws from, written for TinySQL-J. They cover the kinds of phrasing the
 * original TinySQL generator has (verb-first, table-first, question, polite and need/want requests, literal
 * "SELECT ... FROM", bare lists; sort phrases that lead with the direction or follow the field; many wordings per
 * aggregate) in our own words, and keep our distinctions: the sort and aggregate words fit the column's kind
 * (dates are "newest", text is "alphabetical"), and every sort phrase states its direction.
 *
 * <p>Placeholders: {@code {F}} the field list, {@code {T}} the table (with its JOIN phrase), {@code {R}} the WHERE,
 * GROUP BY and ORDER BY phrases (at the end when a template does not place them); {@code %s} a field.
 */
final class EnglishPhrases {
    private EnglishPhrases() {
    }

    /** Instruction templates by family (the family names are what {@code stats.json} counts). */
    static final Map<String, List<String>> TEMPLATE_FAMILIES = families(
            "command", List.of(
                    "Show me {F} from {T}", "Show {F} from {T}", "List {F} from {T}", "List {F} in {T}",
                    "Display {F} from {T}", "Get {F} from {T}", "Get me {F} from {T}", "Give me {F} from {T}",
                    "Fetch {F} from {T}", "Retrieve {F} from {T}", "Return {F} from {T}", "Pull up {F} from {T}",
                    "Pull {F} out of {T}", "Find {F} in {T}", "Look up {F} in {T}", "Extract {F} from {T}",
                    "Output {F} from {T}", "Print {F} from {T}", "Report {F} from {T}", "Select {F} from {T}",
                    "Bring up {F} from {T}", "Read out {F} from {T}", "Dig out {F} from {T}", "Produce {F} from {T}",
                    "Collect {F} from {T}", "Gather {F} from {T}", "Query {F} from {T}", "Lay out {F} from {T}",
                    "Tell me {F} from {T}", "Grab {F} from {T}"),
            "table first", List.of(
                    "From {T}, show me {F}", "From {T} get {F}", "From {T}, list {F}", "In {T}, list {F}",
                    "Using {T}, display {F}", "Out of {T}, give me {F}", "Within {T}, find {F}", "For {T}, return {F}",
                    "Looking at {T}, I want {F}", "Starting from {T}, pull {F}", "Inside {T}, look up {F}",
                    "Go to {T} and fetch {F}", "Open {T} and show me {F}", "Search {T} for {F}", "Check {T} for {F}",
                    "Scan {T} and return {F}", "Taking {T}, output {F}"),
            "question", List.of(
                    "What are {F} in {T}{R}?", "Which {F} are stored in {T}{R}?", "What {F} does {T} hold{R}?",
                    "Can you show {F} from {T}{R}?", "Could you list {F} from {T}{R}?", "Would you get {F} out of {T}{R}?",
                    "Can I see {F} from {T}{R}?", "Could you pull {F} from {T}{R}?", "What values of {F} are in {T}{R}?",
                    "Can you tell me {F} from {T}{R}?"),
            "request", List.of(
                    "Please show {F} from {T}", "Please list {F} in {T}", "Kindly return {F} from {T}",
                    "I need {F} from {T}", "I want to see {F} from {T}", "I'd like {F} from {T}",
                    "I would like to see {F} in {T}", "We need {F} from {T}", "Let me see {F} from {T}",
                    "Help me find {F} in {T}", "I'm looking for {F} in {T}", "Send me {F} from {T}",
                    "Share {F} from {T}", "I need a list of {F} from {T}"),
            "literal", List.of(
                    "SELECT {F} FROM {T}", "select {F} from {T}", "Query: select {F} from {T}", "{F} from {T}",
                    "{F} in {T}", "Just {F} from {T}", "Only {F} from {T}{R}, please", "{T}: {F}",
                    "Columns {F} of {T}"));

    /** All templates, in family order. */
    static final List<String> TEMPLATES = TEMPLATE_FAMILIES.values().stream().flatMap(List::stream).toList();

    /** How the table is named inside a template ({@code %s}: its name or synonym); the bare name is most common. */
    static final String[] TABLE_FORMS = {"%s", "%s", "%s", "the %s table", "the %s records", "table %s"};

    /** {@code %1$s} the FROM table, {@code %2$s} the joined table, {@code %3$s}/{@code %4$s} the key columns. */
    static final String[] JOIN = {
        "joined with %2$s on %3$s matching %4$s", "combined with %2$s on %3$s equal to %4$s",
        "joined to %2$s using %3$s and %4$s", "linked with %2$s through %3$s and %4$s",
        "together with %2$s matched on %3$s and %4$s", "join with %2$s on %3$s equals %4$s",
        "connected to %2$s where %3$s equals %4$s", "paired with %2$s by %3$s and %4$s"
    };

    static final String[] WHERE_INTRO = {
        "where", "only where", "for rows where", "but only if", "filtered to rows where", "when"
    };

    static final String[] GROUP = {"grouped by %s", "for each %s", "per %s", "broken down by %s"};

    /** Intros of the "sorted by price in descending order" style. */
    static final String[] ORDER_INTRO = {
        "sorted by", "ordered by", "arranged by", "ranked by", "sort by", "order by", "organized by", "listed by",
        "sequenced by", "ORDER BY", "with rows ordered by", "ordering the results by", "sorting on", "arranging by"
    };

    /**
     * Directions after the field, by kind: [ascending list, descending list], parallel (index i of one is the mirror
     * of index i of the other, so flipping a direction changes few words).
     */
    static final String[][] DIRECTION_NUMBER = {
        {"in ascending order", "from lowest to highest", "from smallest to largest", "ascending", "in increasing order",
            "low to high", "ASC", "smallest first", "lowest first"},
        {"in descending order", "from highest to lowest", "from largest to smallest", "descending", "in decreasing order",
            "high to low", "DESC", "largest first", "highest first"}};
    static final String[][] DIRECTION_DATE = {
        {"from oldest to newest", "from earliest to latest", "chronologically", "oldest first", "earliest first",
            "in ascending order", "ascending", "ASC", "least recent first"},
        {"from newest to oldest", "from latest to earliest", "in reverse chronological order", "newest first",
            "latest first", "in descending order", "descending", "DESC", "most recent first"}};
    static final String[][] DIRECTION_TEXT = {
        {"alphabetically", "from A to Z", "A to Z", "in alphabetical order", "in ascending order", "ascending", "ASC"},
        {"in reverse alphabetical order", "from Z to A", "Z to A", "in reverse alphabetical order", "in descending order",
            "descending", "DESC"}};

    /** Direction-first sort phrases ("in descending order of price"), by kind, parallel as above. */
    static final String[][] LEAD_NUMBER = {
        {"in ascending order of %s", "from lowest to highest %s", "starting with the lowest %s", "with the lowest %s first",
            "in increasing order of %s", "by %s, lowest first", "smallest %s first", "in order of %s"},
        {"in descending order of %s", "from highest to lowest %s", "starting with the highest %s", "with the highest %s first",
            "in decreasing order of %s", "by %s, highest first", "largest %s first", "in reverse order of %s"}};
    static final String[][] LEAD_DATE = {
        {"in chronological order of %s", "from oldest to newest %s", "starting with the earliest %s",
            "with the oldest %s first", "earliest %s first", "by %s, oldest first"},
        {"in reverse chronological order of %s", "from newest to oldest %s", "starting with the most recent %s",
            "with the newest %s first", "latest %s first", "by %s, newest first"}};
    static final String[][] LEAD_TEXT = {
        {"in alphabetical order of %s", "alphabetically by %s", "A to Z by %s", "by %s from A to Z", "sorted A-Z by %s"},
        {"in reverse alphabetical order of %s", "reverse-alphabetically by %s", "Z to A by %s", "by %s from Z to A",
            "sorted Z-A by %s"}};

    /** Aggregate wordings; MIN and MAX by kind (dates are earliest/latest, text is alphabetical). */
    static final String[] COUNT = {
        "the number of %s", "the count of %s", "a count of %s", "count of %s", "the total number of %s", "the %s count",
        "the tally of %s", "how many %s", "the number of %s entries", "the frequency of %s", "the occurrence count of %s",
        "the number of %s values", "the number of %s records", "number of %s", "the overall count of %s", "count %s"
    };
    static final String[] SUM = {
        "the total %s", "the sum of %s", "the combined %s", "total %s", "sum of %s", "the overall %s", "the summed %s",
        "the aggregate %s", "the cumulative %s", "the %s total", "the grand total of %s", "all %s added up",
        "the full amount of %s", "the added-up %s", "%s summed", "the complete sum of %s", "sum %s"
    };
    static final String[] AVG = {
        "the average %s", "the mean %s", "the average of %s", "average %s", "mean of %s", "the typical %s",
        "the arithmetic mean of %s", "the mean value of %s", "the average value of %s", "%s on average",
        "the expected %s", "the averaged %s", "the usual %s", "avg %s", "the mean of all %s", "typical %s"
    };
    static final String[] MIN_NUMBER = {
        "the lowest %s", "the minimum %s", "the smallest %s", "the least %s", "minimum %s", "the min %s",
        "the bottom %s", "the minimal %s", "the record low %s", "the lowest value of %s", "the smallest value of %s",
        "the minimum of %s", "lowest %s"
    };
    static final String[] MAX_NUMBER = {
        "the highest %s", "the maximum %s", "the largest %s", "the greatest %s", "the biggest %s", "the peak %s",
        "the top %s", "maximum %s", "the max %s", "the record high %s", "the highest value of %s",
        "the largest value of %s", "the maximum of %s", "highest %s"
    };
    static final String[] MIN_DATE = {
        "the earliest %s", "the first %s", "the oldest %s", "the minimum %s", "the initial %s", "the least recent %s",
        "the earliest recorded %s", "earliest %s", "the starting %s", "the minimum of %s", "the first-ever %s"
    };
    static final String[] MAX_DATE = {
        "the latest %s", "the most recent %s", "the last %s", "the newest %s", "the maximum %s", "the final %s",
        "latest %s", "the maximum of %s", "the most recent recorded %s"
    };
    static final String[] MIN_TEXT = {
        "the minimum %s", "the alphabetically first %s", "the smallest %s", "the first %s alphabetically",
        "the lowest %s", "the minimum of %s", "the first %s in alphabetical order", "min %s"
    };
    static final String[] MAX_TEXT = {
        "the maximum %s", "the alphabetically last %s", "the largest %s", "the last %s alphabetically",
        "the highest %s", "the maximum of %s", "the last %s in alphabetical order", "max %s"
    };

    /** The wordings of an aggregate over a column of this kind. */
    static String[] aggregate(Aggregate a, FieldKind kind) {
        return switch (a) {
            case COUNT -> COUNT;
            case SUM -> SUM;
            case AVG -> AVG;
            case MIN -> kind == FieldKind.DATE ? MIN_DATE : kind == FieldKind.TEXT ? MIN_TEXT : MIN_NUMBER;
            case MAX -> kind == FieldKind.DATE ? MAX_DATE : kind == FieldKind.TEXT ? MAX_TEXT : MAX_NUMBER;
        };
    }

    /** Every distinct ORDER BY wording (intros, directions, direction-first phrases), for statistics and tests. */
    static List<String> allOrderPhrases() {
        List<String> out = new ArrayList<>(List.of(ORDER_INTRO));
        for (String[][] t : List.of(DIRECTION_NUMBER, DIRECTION_DATE, DIRECTION_TEXT, LEAD_NUMBER, LEAD_DATE, LEAD_TEXT)) {
            out.addAll(List.of(t[0]));
            out.addAll(List.of(t[1]));
        }
        return out.stream().distinct().toList();
    }

    /** Every distinct aggregate wording. */
    static List<String> allAggregatePhrases() {
        List<String> out = new ArrayList<>();
        for (String[] t : List.of(COUNT, SUM, AVG, MIN_NUMBER, MAX_NUMBER, MIN_DATE, MAX_DATE, MIN_TEXT, MAX_TEXT)) {
            out.addAll(List.of(t));
        }
        return out.stream().distinct().toList();
    }

    private static Map<String, List<String>> families(Object... nameAndList) {
        Map<String, List<String>> m = new LinkedHashMap<>();
        for (int i = 0; i < nameAndList.length; i += 2) {
            @SuppressWarnings("unchecked")
            List<String> l = (List<String>) nameAndList[i + 1];
            m.put((String) nameAndList[i], l);
        }
        return m;
    }
}
