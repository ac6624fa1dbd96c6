package org.tinysql.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fuzzes trainer_state.json, the file a resume trusts: seeded valid and broken variants of a real state. Every broken
 * one must be a {@link CheckpointFormatException} naming the file (and the field, where one is at fault); every valid
 * one must read back exactly.
 */
class TrainerStateFuzzTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final int INPUTS = 400;
    private static final List<String> COUNTS = List.of("step", "optimizer_step");
    private static final List<String> SETTINGS = new ArrayList<>(RunSettings.INTEGRAL);

    static {
        SETTINGS.addAll(RunSettings.REAL);
        SETTINGS.addAll(RunSettings.TEXT);
    }

    /** One generated input: its bytes, and the field an error must name (null: the input is valid). */
    private record Input(byte[] bytes, String field, TrainerState expected) {
    }

    private static TrainerState validState(SplittableRandom r) {
        int step = r.nextInt(0, 30);
        double[] losses = new double[step];
        for (int i = 0; i < step; i++) {
            losses[i] = r.nextDouble() * 10;
        }
        TrainerConfig cfg = TrainerConfig.defaults(30 + r.nextInt(100), 1 + r.nextInt(64))
                .withLr(r.nextDouble() * 1e-2, r.nextDouble() * 1e-4);
        return new TrainerState(step, r.nextInt(0, step + 1), RunSettings.of(cfg, 64 + r.nextInt(1000)), r.nextBoolean(), losses);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static final String[] BAD_COUNTS = {"-1", "1.5", "\"8\"", "null", "true", "[]", "{}", "99999999999999999999", "1e400"};
    private static final String[] BAD_INTEGRAL = {"1.5", "\"x\"", "null", "true", "[1]", "{}", "99999999999999999999"};
    private static final String[] BAD_REAL = {"\"x\"", "null", "false", "[]", "{\"a\":1}", "1e400", "-1e999"};
    private static final String[] BAD_TEXT = {"1", "null", "false", "[]", "{\"a\":1}", "\"\"", "\"" + "x".repeat(65) + "\""};
    private static final String[] BAD_LOSS = {"\"x\"", "null", "true", "[]", "{}", "1e400"};

    private static Input generate(SplittableRandom r) throws Exception {
        TrainerState st = validState(r);
        ObjectNode tree = (ObjectNode) MAPPER.readTree(st.toJson());
        int kind = r.nextInt(12);
        switch (kind) {
            case 0 -> { // truncated
                byte[] b = bytes(st.toJson());
                int last = new String(b, StandardCharsets.UTF_8).lastIndexOf('}');
                return new Input(Arrays.copyOf(b, r.nextInt(last)), "(", null);
            }
            case 1 -> { // a count of the wrong type or range
                String f = COUNTS.get(r.nextInt(COUNTS.size()));
                return new Input(bytes(replace(tree, f, BAD_COUNTS[r.nextInt(BAD_COUNTS.length)])), f, null);
            }
            case 2 -> { // a setting of the wrong type
                String f = SETTINGS.get(r.nextInt(SETTINGS.size()));
                String[] bad = RunSettings.INTEGRAL.contains(f) ? BAD_INTEGRAL : RunSettings.TEXT.contains(f) ? BAD_TEXT : BAD_REAL;
                return new Input(bytes(replace(tree, f, bad[r.nextInt(bad.length)])), f, null);
            }
            case 3 -> { // a bad loss, or a history of the wrong length
                if (st.step() > 0 && r.nextBoolean()) {
                    int i = r.nextInt((int) st.step());
                    String v = BAD_LOSS[r.nextInt(BAD_LOSS.length)];
                    String text = MAPPER.writeValueAsString(tree).replace("\"loss_history\":", "\"loss_history_\":");
                    StringBuilder h = new StringBuilder("[");
                    for (int k = 0; k < st.step(); k++) {
                        h.append(k > 0 ? "," : "").append(k == i ? v : Double.toString(st.losses()[k]));
                    }
                    return new Input(bytes(text.substring(0, text.length() - 1) + ",\"loss_history\":" + h + "]}"),
                            "loss_history[" + i + "]", null);
                }
                tree.withArray("loss_history").add(1.0);
                return new Input(bytes(MAPPER.writeValueAsString(tree)), "loss_history", null);
            }
            case 4 -> { // a required field missing
                String f = List.of("step", "optimizer_step", "loss_history").get(r.nextInt(3));
                tree.remove(f);
                return new Input(bytes(MAPPER.writeValueAsString(tree)), f, null);
            }
            case 5 -> { // not an object
                String[] roots = {"", "   ", "[]", "\"state\"", "42", "null", "[{\"step\":1}]"};
                return new Input(bytes(roots[r.nextInt(roots.length)]), "(", null);
            }
            case 6 -> { // binary garbage
                byte[] b = new byte[1 + r.nextInt(200)];
                r.nextBytes(b);
                b[0] = (byte) (0x80 | b[0]);
                return new Input(b, "(", null);
            }
            case 7 -> { // nested too deep for the parser
                int depth = 2_000 + r.nextInt(100_000);
                String text = "{\"extra\":" + "[".repeat(depth) + "]".repeat(depth) + "," + MAPPER.writeValueAsString(tree).substring(1);
                return new Input(bytes(text), "(file)", null);
            }
            case 8 -> { // more optimizer steps than steps
                tree.put("optimizer_step", st.step() + 1 + r.nextInt(5));
                return new Input(bytes(MAPPER.writeValueAsString(tree)), "optimizer_step", null);
            }
            case 9 -> { // valid: an older checkpoint that records fewer settings
                List<String> kept = new ArrayList<>();
                for (String f : SETTINGS) {
                    if (r.nextBoolean()) {
                        tree.remove(f);
                    } else {
                        kept.add(f);
                    }
                }
                var values = new java.util.LinkedHashMap<>(st.settings().values());
                values.keySet().retainAll(kept);
                TrainerState want = new TrainerState(st.step(), st.optimizerStep(), new RunSettings(values), st.packed(), st.losses());
                return new Input(bytes(MAPPER.writeValueAsString(tree)), null, want);
            }
            case 10 -> { // valid: unknown extra fields
                tree.put("comment_" + r.nextInt(100), "written by another tool");
                tree.putArray("extra").add(1).add("x");
                return new Input(bytes(MAPPER.writeValueAsString(tree)), null, st);
            }
            default -> { // valid as written
                return new Input(bytes(st.toJson()), null, st);
            }
        }
    }

    private static String replace(ObjectNode tree, String field, String rawJson) throws Exception {
        ObjectNode copy = tree.deepCopy();
        copy.remove(field);
        String rest = MAPPER.writeValueAsString(copy);
        return "{\"" + field + "\":" + rawJson + (rest.length() > 2 ? "," : "") + rest.substring(1);
    }

    private static boolean sameState(TrainerState want, TrainerState got) {
        return want.step() == got.step() && want.optimizerStep() == got.optimizerStep() && want.packed() == got.packed()
                && Arrays.equals(want.losses(), got.losses()) && want.settings().values().equals(got.settings().values());
    }

    @Test
    void everyBrokenStateIsAClearErrorAndEveryValidOneReadsBack(@TempDir Path dir) throws Exception {
        int[] n = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> fuzz(dir));
        System.out.printf("fuzz trainer_state.json: %d inputs, %d clear errors, %d accepted, %d crashes, %d hangs%n",
                INPUTS + 1, n[0], n[1], n[2], n[3]);
        assertEquals(0, n[2], "crashes, wrong errors or wrong acceptances");
        assertEquals(0, n[3], "hangs");
        assertEquals(INPUTS + 1, n[0] + n[1]);
    }

    /** Counts of {clear errors, correct acceptances, crashes (including wrong results), hangs}. */
    private static int[] fuzz(Path dir) throws Exception {
        SplittableRandom r = new SplittableRandom(20_260_401L);
        int errors = 0;
        int accepted = 0;
        int crashes = 0;
        int hangs = 0;
        List<String> problems = new ArrayList<>();
        Path file = dir.resolve("trainer_state.json");
        for (int i = 0; i <= INPUTS; i++) {
            Input in;
            if (i == INPUTS) { // larger than any trainer state may be (a sparse file: no disk used)
                Files.deleteIfExists(file);
                try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
                    f.setLength(TrainerState.MAX_BYTES + 1);
                }
                in = new Input(null, "(file)", null);
            } else {
                in = generate(r);
                Files.write(file, in.bytes());
            }
            long t0 = System.nanoTime();
            try {
                TrainerState got = TrainerState.read(file);
                if (in.field() == null && sameState(in.expected(), got)) {
                    accepted++;
                    got.settings().differences(RunSettings.of(TrainerConfig.defaults(10, 2), 100));
                } else {
                    crashes++;
                    problems.add("input " + i + (in.field() == null ? " read back wrong" : " accepted, should fail on " + in.field()));
                }
            } catch (CheckpointFormatException e) {
                if (in.field() != null && e.getMessage().contains(file.toString()) && e.getMessage().contains(in.field())) {
                    errors++;
                } else {
                    crashes++;
                    problems.add("input " + i + " (want " + in.field() + "): " + e.getMessage());
                }
            } catch (Exception | StackOverflowError | OutOfMemoryError e) {
                crashes++;
                problems.add("input " + i + ": " + e);
            }
            if (System.nanoTime() - t0 > 2_000_000_000L) {
                hangs++;
            }
        }
        problems.stream().limit(10).forEach(System.out::println);
        return new int[] {errors, accepted, crashes, hangs};
    }

    @Test
    void theValidStateOfARealRunReadsBack(@TempDir Path dir) throws Exception {
        TrainerState st = validState(new SplittableRandom(1));
        Path file = dir.resolve("trainer_state.json");
        Files.writeString(file, st.toJson());
        JsonNode tree = MAPPER.readTree(file.toFile());
        assertEquals(st.step(), tree.get("step").asLong());
        assertEquals(true, sameState(st, TrainerState.read(file)));
    }
}
