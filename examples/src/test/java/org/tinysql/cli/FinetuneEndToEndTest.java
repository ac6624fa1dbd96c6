package org.tinysql.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tinysql.data.DatasetIO;
import org.tinysql.data.Split;
import org.tinysql.data.TinySqlExample;
import org.tinysql.interp.TokenRole;
import org.tinysql.interp.TokenTagger;
import org.tinysql.interp.cache.LogitLens;
import org.tinysql.model.ModelConfig;
import org.tinysql.model.SqlPredictor;
import org.tinysql.model.Parameters;
import org.tinysql.model.Transformer;
import org.tinysql.tensor.Buffers;
import org.tinysql.tokenizer.HfTokenizer;
import org.tinysql.train.EncodedExample;
import org.tinysql.train.FineTuner;
import org.tinysql.util.Progress;

/**
 * The BM1/BM2/BM3 path end to end on tiny checkpoints of the three families with byte-level BPE tokenizers
 * ({@link TinyCheckpoints}): fine-tune on CS1 (pad token added or reused, loss falls), the exported folder reloads with
 * identical logits in our engine and (with PyTorch installed) in an independent PyTorch reading, and eval, eap and
 * sae run on it. The Llama-3 tokenizer puts {@code <|begin_of_text|>} first in each of these sequences.
 */
class FinetuneEndToEndTest {
    @TempDir
    static Path dir;
    static Path data;
    static final Map<TinyCheckpoints.Family, FineTuner.Result> RUNS = new EnumMap<>(TinyCheckpoints.Family.class);
    static final Map<TinyCheckpoints.Family, Path> BASES = new EnumMap<>(TinyCheckpoints.Family.class);

    static FineTuner.Options options() {
        return FineTuner.Options.paper().withSteps(30).withLr(3e-3, 3).withEvaluation(10, 2, 15);
    }

    @BeforeAll
    static void fineTuneEachFamily() throws Exception {
        data = dir.resolve("data");
        captureOut(() -> assertEquals(0, TinySqlCli.run("generate", "--cs", "1", "--n", "400", "--seed", "5", "--out", data.toString())));
        for (TinyCheckpoints.Family f : TinyCheckpoints.Family.values()) {
            Path base = TinyCheckpoints.write(f, dir.resolve("base-" + f));
            BASES.put(f, base);
            RUNS.put(f, FineTuner.run(base, data, dir.resolve("run-" + f), options(), n -> Progress.NONE));
            System.gc();
        }
    }

    /**
     * Each model keeps up to 1 GiB of activation buffers off the Java heap (50k-token logits are large), freed only when
     * the garbage collector finds the model unreachable; the heap alone rarely makes it run, so the test asks for it
     * between models, keeping this JVM's memory near one model's instead of several.
     */
    @AfterEach
    void freeDeadModels() {
        System.gc();
    }

    @AfterAll
    static void peakMemory() throws IOException {
        Path status = Path.of("/proc/self/status");
        for (String line : Files.exists(status) ? Files.readAllLines(status) : List.<String>of()) {
            if (line.startsWith("VmHWM")) {
                System.err.println("FinetuneEndToEndTest peak resident memory: " + line);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(TinyCheckpoints.Family.class)
    void thePadTokenIsAddedOrReusedAndRecorded(TinyCheckpoints.Family f) throws Exception {
        FineTuner.Result r = RUNS.get(f);
        Path model = r.model();
        ModelConfig cfg = ModelConfig.load(model.resolve("config.json"));
        HfTokenizer tok = HfTokenizer.load(model);
        JsonNode tc = TinyCheckpoints.M.readTree(model.resolve("tokenizer_config.json").toFile());
        switch (f) {
            case GPT_NEO -> { // TinyStories: <|pad|> added as id 50257, the tied embedding grows to 50258
                assertEquals(50258, cfg.vocabSize());
                assertEquals(50257, cfg.padTokenId());
                assertEquals(50256, cfg.eosTokenId());
                assertTrue(r.tokenizer().padAdded());
            }
            case QWEN2 -> { // the declared pad is the EOS token: <|pad|> added; both untied matrices grow
                assertEquals(50260, cfg.vocabSize());
                assertEquals(50259, cfg.padTokenId());
                assertTrue(r.tokenizer().padAdded());
                assertArrayEquals(new long[] {50260, 32}, r.parameters().get("unembed.W_U").shape());
            }
            case LLAMA -> { // Llama-3 has a reserved pad: no new token, no resize
                assertEquals(50512, cfg.vocabSize());
                assertEquals(50260, cfg.padTokenId());
                assertEquals("<|finetune_right_pad_id|>", tok.tokenString(cfg.padTokenId()));
                assertFalse(r.tokenizer().padAdded());
                assertEquals("<|begin_of_text|>", tc.get("bos_token").asText(), "the declared BOS is kept for HF users");
            }
            default -> throw new AssertionError(f);
        }
        assertEquals(cfg.padTokenId(), tok.padId());
        assertEquals(cfg.eosTokenId(), tok.eosId());
        assertEquals(tok.tokenString(tok.padId()), tc.get("pad_token").asText());
        assertEquals(tok.tokenString(tok.eosId()), tc.get("eos_token").asText());
        assertEquals(cfg.vocabSize(), tok.vocabSize(), "every id has an embedding row and no row lacks a token");
        // The input embedding row of an added pad starts as the mean of the others and then moves only by weight decay:
        // padding takes no gradient. (A tied row also unembeds, and so learns not to be predicted.)
        if (r.tokenizer().padAdded() && !cfg.tiedEmbeddings()) {
            Parameters before = Transformer.fromPretrained(BASES.get(f)).parameters();
            double mean = 0;
            int v = before.config().vocabSize();
            for (int row = 0; row < v; row++) {
                mean += before.get("embed.W_E").getFloat(row, 0);
            }
            double got = r.parameters().get("embed.W_E").getFloat(cfg.padTokenId(), 0);
            assertEquals(mean / v, got, 1e-3 * Math.abs(mean / v), "only weight decay moved the pad row");
        }
        // Training examples: the prompt masked, the SQL and EOS trained on, right padding with the pad id.
        TinySqlExample ex = DatasetIO.read(data, Split.TRAIN).get(0);
        EncodedExample e = EncodedExample.of(ex, tok, 512);
        assertEquals(tok.eosId(), e.ids()[e.ids().length - 1]);
        assertEquals(-100, e.labels()[e.promptLength() - 1]);
        assertEquals(" " + ex.sqlStatement(), tok.decode(Arrays.copyOfRange(e.ids(), e.promptLength(), e.ids().length - 1)));
    }

    @ParameterizedTest
    @EnumSource(TinyCheckpoints.Family.class)
    void theLossFalls(TinyCheckpoints.Family f) {
        FineTuner.Result r = RUNS.get(f);
        double first = r.history().subList(0, 3).stream().mapToDouble(s -> s.loss()).average().orElseThrow();
        double last = r.history().subList(27, 30).stream().mapToDouble(s -> s.loss()).average().orElseThrow();
        assertTrue(last < 0.85 * first, f + ": loss " + first + " -> " + last);
        assertEquals(3, r.evals().size());
        assertTrue(r.evals().get(2).loss() < r.evals().get(0).loss(), f + " validation " + r.evals());
    }

    /** Right-padded CS1 prompts of the model's tokenizer, with the pad id in the padding. */
    private static int[][][] inputs(Path model, int rows) throws IOException {
        HfTokenizer tok = HfTokenizer.load(model);
        List<TinySqlExample> test = DatasetIO.read(data, Split.TEST).subList(0, rows);
        int[][] enc = new int[rows][];
        int t = 0;
        for (int i = 0; i < rows; i++) {
            enc[i] = EncodedExample.of(test.get(i), tok, 512).ids();
            t = Math.max(t, enc[i].length);
        }
        int[][] ids = new int[rows][t];
        int[][] mask = new int[rows][t];
        for (int i = 0; i < rows; i++) {
            Arrays.fill(ids[i], tok.padId());
            System.arraycopy(enc[i], 0, ids[i], 0, enc[i].length);
            Arrays.fill(mask[i], 0, enc[i].length, 1);
        }
        return new int[][][] {ids, mask};
    }

    @ParameterizedTest
    @EnumSource(TinyCheckpoints.Family.class)
    void theExportReloadsWithIdenticalLogits(TinyCheckpoints.Family f) throws Exception {
        FineTuner.Result r = RUNS.get(f);
        int[][][] in = inputs(r.model(), 3);
        float[] trained = Buffers.toFloats(new Transformer(r.parameters()).forward(in[0], in[1]).dup('c'));
        float[] reloaded = Buffers.toFloats(Transformer.fromPretrained(r.model()).forward(in[0], in[1]).dup('c'));
        assertArrayEquals(trained, reloaded, f + ": the exported model is the trained one");
    }

    @ParameterizedTest
    @EnumSource(TinyCheckpoints.Family.class)
    void pyTorchReadsTheExportWithTheSameLogits(TinyCheckpoints.Family f) throws Exception {
        Assumptions.assumeTrue(torchAvailable(), "PyTorch (Debian python3-torch) is not installed: parity check skipped");
        FineTuner.Result r = RUNS.get(f);
        int[][][] in = inputs(r.model(), 3);
        Path inputs = dir.resolve("inputs-" + f + ".json");
        Files.writeString(inputs, TinyCheckpoints.M.writeValueAsString(Map.of("input_ids", in[0], "attention_mask", in[1])));
        Path script = dir.resolve("hf_reference.py");
        try (InputStream s = FinetuneEndToEndTest.class.getResourceAsStream("/finetune/hf_reference.py")) {
            Files.copy(s, script, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        Path out = dir.resolve("torch-" + f + ".bin");
        Process p = new ProcessBuilder(python(), script.toString(), "logits", r.model().toString(), inputs.toString(), out.toString())
                .redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "PyTorch reference timed out");
        assertEquals(0, p.exitValue(), log);
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(out)).order(ByteOrder.LITTLE_ENDIAN);
        INDArray ours = Transformer.fromPretrained(r.model()).forward(in[0], in[1]);
        float[] want = new float[b.remaining() / 4];
        b.asFloatBuffer().get(want);
        float[] got = Buffers.toFloats(ours.dup('c'));
        assertEquals(want.length, got.length, "[B,T,V] of the same size");
        double maxDiff = 0;
        double maxRef = 0;
        for (int i = 0; i < got.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(got[i] - want[i]));
            maxRef = Math.max(maxRef, Math.abs(want[i]));
        }
        assertTrue(maxDiff / maxRef < 1e-4, f + ": logits differ from PyTorch's by " + maxDiff / maxRef + " of the largest");
    }

    @ParameterizedTest
    @EnumSource(TinyCheckpoints.Family.class)
    void evalAndEapRunOnTheFineTunedModel(TinyCheckpoints.Family f) throws Exception {
        Path model = RUNS.get(f).model();
        String eval = captureOut(() -> assertEquals(0, TinySqlCli.run("eval", "--data", data.resolve("test.jsonl").toString(),
                "--model", model.toString(), "--limit", "3")));
        assertTrue(eval.contains("scored 3 predictions") && eval.contains("execution  n=3"), eval);
        Path eapOut = dir.resolve("eap-" + f);
        String eap = captureOut(() -> assertEquals(0, TinySqlCli.run("eap", "--model", model.toString(), "--n", "6", "--batch",
                "6", "--top-edges", "10", "--curve-points", "0", "--out", eapOut.toString())));
        assertTrue(eap.contains("on 6 instruction_table pairs") && eap.contains("circuit: "), eap);
        assertTrue(Files.size(eapOut.resolve("eap.json")) > 0 && Files.size(eapOut.resolve("circuit.svg")) > 0);
    }

    /** {@code quickstart --model}: the whole report (accuracy, lens, EAP, heuristic, SAE) on a fine-tuned BPE model. */
    @Test
    void theQuickstartReportRunsOnAFineTunedModel() throws Exception {
        Path model = RUNS.get(TinyCheckpoints.Family.LLAMA).model();
        Path work = dir.resolve("quickstart-llama");
        Path report = dir.resolve("report-llama");
        String out = captureOut(() -> assertEquals(0, TinySqlCli.run("quickstart", "--model", model.toString(), "--out", work.toString(),
                "--report", report.toString(), "--n", "2000", "--eval", "6", "--sae-steps", "20")));
        assertTrue(out.contains("== analysing " + model) && !out.contains("== training"), out);
        String html = Files.readString(report.resolve("index.html"));
        for (String section : List.of("Model", "Accuracy", "Logit lens", "Circuit (EAP", "Flawed heuristic", "Sparse autoencoder")) {
            assertTrue(html.contains("<h2>" + section), "report section " + section);
        }
        assertTrue(!html.contains("<h2>Training</h2>"), "no training section for a given model");
        assertTrue(Files.exists(work.resolve("sae").resolve("cfg.json")) && Files.exists(work.resolve("eap").resolve("eap.json")));
        assertTrue(!Files.exists(work.resolve("cs1-model")), "nothing trained");
    }

    @Test
    void tokenRolesLogitLensAndSaeFeaturesWorkWithBpeTokens() throws Exception {
        Path model = RUNS.get(TinyCheckpoints.Family.GPT_NEO).model();
        HfTokenizer tok = HfTokenizer.load(model);
        TinySqlExample ex = DatasetIO.read(data, Split.TEST).get(0);
        TokenTagger.Tagged t = new TokenTagger(tok).tag(ex);
        List<TokenRole> roles = Arrays.asList(t.roles());
        assertTrue(roles.contains(TokenRole.INSTRUCTION_TABLE) && roles.contains(TokenRole.CONTEXT_FIELD)
                && roles.contains(TokenRole.RESPONSE_KEYWORD) && roles.get(roles.size() - 1) == TokenRole.END, roles.toString());
        assertEquals(tok.eosId(), t.tokens()[t.tokens().length - 1]);
        // The report's logit lens (by SQL role) and the flawed-heuristic measurement run on the BPE model too.
        Transformer m = Transformer.fromPretrained(model);
        List<TinySqlExample> few = DatasetIO.read(data, Split.TEST).subList(0, 6);
        LogitLens.Table lens = LogitLens.run(m, new TokenTagger(tok), few, Progress.NONE);
        assertTrue(Arrays.stream(lens.count()).sum() > 6 * 5, "response tokens counted by role: " + Arrays.toString(lens.count()));
        org.tinysql.interp.patching.TableConflict.Measure heuristic = org.tinysql.interp.patching.TableConflict.measure(m, tok);
        assertTrue(heuristic.pairs() > 0 && Double.isFinite(heuristic.meanLogitDiff()), heuristic.toString());
        Path sae = dir.resolve("sae");
        String train = captureOut(() -> assertEquals(0, TinySqlCli.run("sae", "train", "--model", model.toString(), "--data",
                data.toString(), "--steps", "20", "--batch", "256", "--examples", "60", "--out", sae.toString())));
        assertTrue(Files.exists(sae.resolve("cfg.json")), train);
        String features = captureOut(() -> assertEquals(0, TinySqlCli.run("sae", "features", "--model", model.toString(), "--data",
                data.toString(), "--sae", sae.toString(), "--examples", "20")));
        assertTrue(features.toLowerCase(java.util.Locale.ROOT).contains("instruction"), features);
    }

    /**
     * Llama-3's tokenizer puts {@code <|begin_of_text|>} before every sequence (its post-processor, kept in the exported
     * folder): the fine-tune's training examples, the predictor's prompts and the tagged texts of the logit lens and the
     * SAE start with it; the other families' prompts start with the text.
     */
    @ParameterizedTest
    @EnumSource(TinyCheckpoints.Family.class)
    void llamaSequencesStartWithBos(TinyCheckpoints.Family f) throws Exception {
        Path model = RUNS.get(f).model();
        HfTokenizer tok = HfTokenizer.load(model);
        TinySqlExample ex = DatasetIO.read(data, Split.TRAIN).get(0);
        EncodedExample e = EncodedExample.of(ex, tok, 512);
        SqlPredictor predictor = new SqlPredictor(Transformer.fromPretrained(model), tok, 4);
        TokenTagger.Tagged t = new TokenTagger(tok).tag(ex);
        if (f != TinyCheckpoints.Family.LLAMA) {
            assertEquals(0, tok.promptPrefix().length);
            assertArrayEquals(tok.encode(EncodedExample.promptText(ex)), Arrays.copyOf(e.ids(), e.promptLength()));
            return;
        }
        int bos = tok.tokenId("<|begin_of_text|>");
        assertArrayEquals(new int[] {bos}, tok.promptPrefix());
        assertEquals(bos, e.ids()[0], "training example");
        assertEquals(-100, e.labels()[0]);
        assertEquals(1 + tok.encode(EncodedExample.promptText(ex)).length, e.promptLength());
        assertEquals(bos, predictor.promptIds(ex)[0], "generation prompt");
        assertEquals(1, Arrays.stream(predictor.promptIds(ex)).filter(id -> id == bos).count());
        assertEquals(bos, t.tokens()[0], "tagged text");
        assertEquals(TokenRole.MARKER, t.roles()[0]);
        Path sae = dir.resolve("sae-llama");
        String train = captureOut(() -> assertEquals(0, TinySqlCli.run("sae", "train", "--model", model.toString(), "--data",
                data.toString(), "--steps", "10", "--batch", "128", "--examples", "20", "--out", sae.toString())));
        assertTrue(Files.exists(sae.resolve("cfg.json")), train);
    }

    @Test
    void theCommandFineTunesResumesAndRefusesAnotherCheckpointInTheSameRun() throws Exception {
        Path run = dir.resolve("cli-run");
        String[] args = {"finetune", "--model", BASES.get(TinyCheckpoints.Family.GPT_NEO).toString(), "--data", data.toString(),
            "--out", run.toString(), "--steps", "6", "--batch", "4", "--lr", "1e-3", "--warmup", "2", "--checkpoint-every", "3",
            "--moments", "bf16", "--recompute", "on"};
        String out = captureOut(() -> assertEquals(0, TinySqlCli.run(args)));
        assertTrue(out.contains("fine-tuned 6 steps") && out.contains("pad token <|pad|> (id 50257, added)")
                && out.contains("bf16 moments") && out.contains("recomputed per block"), out);
        assertTrue(Files.exists(run.resolve("model/model.safetensors")) && Files.exists(run.resolve("model/tokenizer_config.json")));
        assertTrue(Files.exists(run.resolve("checkpoints/step-00000006/tokenizer_config.json")));
        String again = captureOut(() -> assertEquals(0, TinySqlCli.run(args)));
        assertTrue(again.contains("fine-tuned 6 steps"), again);
        // Another base model's tokenizer in the same run folder is refused, with one clear line.
        String[] other = args.clone();
        other[2] = BASES.get(TinyCheckpoints.Family.QWEN2).toString();
        assertEquals(TinySqlCli.USAGE_ERROR, TinySqlCli.run(other));
    }

    static boolean torchAvailable() {
        try {
            Process p = new ProcessBuilder(python(), "-c", "import torch, numpy").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    /** Debian's python3 (where python3-torch installs), else whatever python3 is on the path. */
    static String python() {
        return Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
    }

    static String captureOut(Runnable r) {
        return ConsoleCapture.out(r::run);
    }
}
