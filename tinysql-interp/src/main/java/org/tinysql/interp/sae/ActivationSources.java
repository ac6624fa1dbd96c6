package org.tinysql.interp.sae;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.tinysql.data.TinySqlExample;
import org.tinysql.interp.TokenTagger;
import org.tinysql.model.ActivationCache;
import org.tinysql.model.RunSpec;
import org.tinysql.model.Transformer;
import org.tinysql.tensor.Kernels;
import org.tinysql.tensor.SafeTensors;
import org.tinysql.tokenizer.Tokenizer;

/** Where an {@link ActivationStore}'s rows come from: a model run over training texts, or cached shards on disk. */
final class ActivationSources {

    private ActivationSources() {
    }

    /** Rows [from, from + n) of a [R, C] array, as a view. */
    static INDArray rowRange(INDArray a, int from, int n) {
        return a.get(NDArrayIndex.interval(from, from + n), NDArrayIndex.all());
    }

    /**
     * Runs the model over training texts, batch by batch, caching one or several hooks in each run: every hook's rows
     * queue (backend arrays) until its reader takes them, so stores of several hooks read in step share the model
     * runs, each seeing the rows a store of its hook alone would see.
     */
    static final class ModelSource {
        private final Transformer model;
        private final List<TinySqlExample> examples;
        private final List<String> hooks;
        private final int contextBatch;
        private final TokenTagger tagger;
        private final Map<String, Integer> widths = new LinkedHashMap<>();
        private final Map<String, ArrayDeque<Pending>> queues = new LinkedHashMap<>();
        /** Leading special tokens of every sequence (a BOS such as Llama-3's), left out like SAELens's exclude_special_tokens. */
        private final int prefix;
        private int next;
        boolean cycle = true;

        /** One run's rows of one hook and how many of them were taken. */
        private static final class Pending {
            final INDArray rows;
            int at;

            Pending(INDArray rows) {
                this.rows = rows;
            }
        }

        ModelSource(Transformer model, Tokenizer tok, List<TinySqlExample> examples, List<String> hooks, int contextBatch) {
            if (examples.isEmpty()) {
                throw new IllegalArgumentException("no examples to collect activations from");
            }
            if (hooks.isEmpty()) {
                throw new IllegalArgumentException("no hooks to collect activations at");
            }
            this.model = model;
            this.examples = examples;
            this.hooks = List.copyOf(hooks);
            this.contextBatch = Math.max(1, contextBatch);
            this.tagger = new TokenTagger(tok);
            for (String h : this.hooks) {
                widths.put(h, ActivationStore.widthOf(model, h));
                queues.put(h, new ArrayDeque<>());
            }
            this.prefix = tok.promptPrefix().length;
        }

        /** The rows of one of the hooks, as a store's source. */
        ActivationStore.Source of(String hook) {
            if (!queues.containsKey(hook)) {
                throw new IllegalArgumentException(hook + " is not collected by this source");
            }
            return (into, offset, rows) -> fill(hook, into, offset, rows);
        }

        int width(String hook) {
            return widths.get(hook);
        }

        private int fill(String hook, INDArray into, int offset, int rows) {
            ArrayDeque<Pending> q = queues.get(hook);
            for (int runs = 0; q.isEmpty(); runs++) {
                if (runs > examples.size()) {
                    throw new IllegalStateException("the examples have no tokens after the prompt prefix");
                }
                if (!collect()) {
                    return 0;
                }
            }
            Pending p = q.peek();
            int n = Math.min(rows, (int) p.rows.size(0) - p.at);
            model.kernels().copy(rowRange(p.rows, p.at, n), rowRange(into, offset, n));
            p.at += n;
            if (p.at == p.rows.size(0)) {
                q.poll().rows.close();
            }
            return n;
        }

        private boolean collect() {
            if (next >= examples.size()) {
                if (!cycle) {
                    return false;
                }
                next = 0;
            }
            int end = Math.min(examples.size(), next + contextBatch);
            List<int[]> toks = new ArrayList<>();
            int t = 1;
            for (int i = next; i < end; i++) {
                int[] ids = tagger.tag(examples.get(i)).tokens();
                ids = Arrays.copyOf(ids, Math.min(ids.length, model.config().maxSequenceLength()));
                toks.add(ids);
                t = Math.max(t, ids.length);
            }
            next = end;
            int[][] ids = new int[toks.size()][t];
            int[][] mask = new int[toks.size()][t];
            int real = 0;
            for (int b = 0; b < ids.length; b++) {
                System.arraycopy(toks.get(b), 0, ids[b], 0, toks.get(b).length);
                Arrays.fill(mask[b], 0, toks.get(b).length, 1);
                real += Math.max(0, toks.get(b).length - prefix);
            }
            // The real tokens' rows of each [B*T, C] activation (after any BOS), gathered on the backend.
            int[] rows = new int[real];
            int r = 0;
            for (int b = 0; b < ids.length; b++) {
                for (int i = prefix; i < toks.get(b).length; i++) {
                    rows[r++] = b * t + i;
                }
            }
            if (real == 0) {
                return true; // nothing to queue
            }
            try (ActivationCache c = model.run(RunSpec.of(ids, mask).cache(hooks.toArray(String[]::new)).logitRows(new int[0]))) {
                for (String h : hooks) {
                    int w = widths.get(h);
                    INDArray out = model.kernels().zeros(real, w);
                    model.kernels().gatherRows(c.get(h).reshape('c', (long) ids.length * t, w), rows, out);
                    queues.get(h).add(new Pending(out));
                }
            }
            return true;
        }
    }

    /** Reads cached shards in name order, cycling; each shard's rows are copied to the backend (the file boundary). */
    static final class DiskSource implements ActivationStore.Source {
        private final List<Path> shards;
        private final Kernels k;
        final int width;
        private int shard;
        private INDArray rows;
        private int count;
        private int at;

        DiskSource(Path dir, Kernels k) throws IOException {
            this.k = k;
            shards = ActivationStore.shards(dir);
            if (shards.isEmpty()) {
                throw new java.nio.file.NoSuchFileException(null, null, "no activations_*.safetensors shards in " + dir);
            }
            try (SafeTensors st = SafeTensors.open(shards.get(0))) {
                long[] shape = st.entry("activations").shape();
                width = (int) shape[1];
            }
        }

        @Override
        public int fill(INDArray into, int offset, int want) throws IOException {
            if (at == count) {
                Path file = shards.get(shard);
                Map<String, INDArray> m = SafeTensors.readAll(file);
                shard = (shard + 1) % shards.size();
                INDArray a = m.get("activations");
                if (a == null || a.rank() != 2 || a.size(1) != width || a.size(0) == 0) {
                    throw new org.tinysql.data.DataFormatException(file, "expected tensor 'activations' [rows, " + width + "] with at least one row");
                }
                rows = a;
                count = (int) a.size(0);
                at = 0;
            }
            int n = Math.min(want, count - at);
            k.copy(rowRange(rows, at, n), rowRange(into, offset, n));
            at += n;
            return n;
        }
    }
}
