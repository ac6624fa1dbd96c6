package org.tinysql.model;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tinysql.model.arch.TensorMapping;
import org.tinysql.tensor.Buffers;
import org.tinysql.tensor.CheckpointFormatException;
import org.tinysql.tensor.DType;
import org.tinysql.tensor.SafeTensors;

/**
 * HuggingFace checkpoint folders (config.json + model.safetensors, or sharded model-0000x-of-0000y.safetensors with
 * model.safetensors.index.json): loading into {@link Parameters} and saving back in the same layout.
 * Tensors are converted one at a time, so loading never holds two copies of the model.
 */
public final class HfCheckpoint {
    private static final Logger LOG = LoggerFactory.getLogger(HfCheckpoint.class);

    private HfCheckpoint() {
    }

    private static List<TensorMapping> mappings(ModelConfig c) {
        return c.architecture().tensors(c);
    }

    /**
     * Loads config.json and the weights of a checkpoint folder.
     * @param dir the checkpoint folder (config.json and model.safetensors, or a sharded index)
     * @return new host parameters of the folder's config
     * @throws IOException when a file cannot be read, or a {@link CheckpointFormatException} for an invalid checkpoint
     */
    public static Parameters load(Path dir) throws IOException {
        ModelConfig cfg = ModelConfig.load(dir.resolve("config.json"));
        return load(dir, cfg);
    }

    /**
     * Loads the weights of a checkpoint folder; non-finite weights as {@link NonFiniteWeights#fromSystemProperty()}
     * says.
     * @param dir the checkpoint folder
     * @param cfg the config the weights must match
     * @return new host parameters
     * @throws IOException when a file cannot be read, or a {@link CheckpointFormatException} for an invalid checkpoint
     */
    public static Parameters load(Path dir, ModelConfig cfg) throws IOException {
        return load(dir, cfg, NonFiniteWeights.fromSystemProperty());
    }

    /**
     * Loads the weights of a checkpoint folder from a stranger. Every safetensors header is validated and every tensor
     * the config needs is checked for presence and shape before the parameters are allocated, so a config that
     * promises more than the files hold fails without allocating; then each tensor is converted and checked for NaN or
     * infinite values ({@code nonFinite}). Errors are {@link CheckpointFormatException}s naming the file or folder and
     * the tensor (other IOExceptions only for I/O failures).
     * @param dir the checkpoint folder
     * @param cfg the config the weights must match
     * @param nonFinite what to do with NaN or infinite weights
     * @return new host parameters
     * @throws IOException when a file cannot be read, or a {@link CheckpointFormatException} for an invalid checkpoint
     */
    public static Parameters load(Path dir, ModelConfig cfg, NonFiniteWeights nonFinite) throws IOException {
        return load(dir, cfg, nonFinite, null);
    }

    /**
     * Loads the weights of a checkpoint folder of {@code p}'s config straight into {@code p} (no second copy of the
     * model), with the same checks as {@link #load(Path, ModelConfig, NonFiniteWeights)}: every header and shape before
     * any weight is written. A failure after that (a non-finite or unreadable tensor) leaves {@code p} partly loaded.
     * @param dir the checkpoint folder
     * @param p the parameters to overwrite; their config must match the folder's tensors
     * @throws IOException when a file cannot be read, or a {@link CheckpointFormatException} for an invalid checkpoint
     */
    public static void loadInto(Path dir, Parameters p) throws IOException {
        load(dir, p.config(), NonFiniteWeights.fromSystemProperty(), p);
    }

    private static Parameters load(Path dir, ModelConfig cfg, NonFiniteWeights nonFinite, Parameters into) throws IOException {
        try (CheckpointTensors files = CheckpointTensors.open(dir)) {
            checkShapes(dir, cfg, files);
            Parameters p = into != null ? into : Parameters.zeros(cfg);
            Set<String> used = new LinkedHashSet<>();
            for (TensorMapping m : mappings(cfg)) {
                used.add(m.hf());
                loadOne(files.file(m.hf()), m, p, cfg, nonFinite);
            }
            List<String> unused = new ArrayList<>();
            for (String n : files.names()) {
                if (!used.contains(n) && !cfg.architecture().ignoredTensor(n)) {
                    unused.add(n);
                }
            }
            if (!unused.isEmpty()) {
                LOG.warn("{}: {} tensors are not used by {}: {}", dir, unused.size(), cfg,
                        unused.stream().limit(5).map(CheckpointFormatException::excerpt).toList());
            }
            return p;
        }
    }

    /** Every tensor the config needs is present with its shape; checked from the headers, before allocating. */
    private static void checkShapes(Path dir, ModelConfig cfg, CheckpointTensors files) throws CheckpointFormatException {
        for (Map.Entry<String, long[]> e : hfShapes(cfg).entrySet()) {
            SafeTensors st = files.file(e.getKey());
            if (st == null) {
                throw new CheckpointFormatException(dir, "checkpoint is missing tensor '" + e.getKey() + "' (needed for " + cfg + ")");
            }
            long[] found = st.entry(e.getKey()).shape();
            if (!Arrays.equals(e.getValue(), found)) {
                throw new CheckpointFormatException(st.file(), "tensor '" + e.getKey() + "' has shape " + Arrays.toString(found)
                        + ", expected " + Arrays.toString(e.getValue()));
            }
        }
    }

    private static void loadOne(SafeTensors st, TensorMapping m, Parameters p, ModelConfig cfg, NonFiniteWeights nonFinite)
            throws IOException {
        long c = cfg.dModel();
        String[] qkv = {"Q", "K", "V"};
        switch (m.kind()) {
            case COPY -> {
                SafeTensors.Entry e = st.entry(m.hf());
                FloatBuffer dst = Buffers.fb(p.get(m.ours()));
                st.readInto(e, dst, 0);
                nonFinite.check(dst, (int) e.numel(), m.hf(), st.file());
            }
            case TRANSPOSE -> p.get(m.ours()).assign(read(st, m.hf(), nonFinite).transpose());
            case QKV_WEIGHT -> {
                INDArray w = read(st, m.hf(), nonFinite);
                for (int i = 0; i < 3; i++) {
                    p.get(m.ours() + qkv[i]).assign(w.get(NDArrayIndex.all(), NDArrayIndex.interval(i * c, (i + 1) * c)).transpose());
                }
            }
            case QKV_BIAS -> {
                INDArray b = read(st, m.hf(), nonFinite);
                for (int i = 0; i < 3; i++) {
                    p.get(m.ours() + qkv[i]).assign(b.get(NDArrayIndex.interval(i * c, (i + 1) * c)));
                }
            }
        }
    }

    private static INDArray read(SafeTensors st, String name, NonFiniteWeights nonFinite) throws IOException {
        INDArray w = st.read(name);
        nonFinite.check(Buffers.fb(w), (int) w.length(), name, st.file());
        return w;
    }

    /**
     * HF tensor names and shapes of a config, as {@link #save} writes them (e.g. to stream a synthetic checkpoint).
     * @param cfg the config
     * @return HF tensor name to dimensions, in the architecture's file order
     */
    public static Map<String, long[]> hfShapes(ModelConfig cfg) {
        Map<String, long[]> ours = Parameters.shapes(cfg);
        Map<String, long[]> out = new LinkedHashMap<>();
        for (TensorMapping m : mappings(cfg)) {
            switch (m.kind()) {
                case COPY -> out.put(m.hf(), ours.get(m.ours()));
                case TRANSPOSE -> out.put(m.hf(), new long[] {ours.get(m.ours())[1], ours.get(m.ours())[0]});
                case QKV_WEIGHT -> out.put(m.hf(), new long[] {cfg.dModel(), 3L * cfg.dModel()});
                case QKV_BIAS -> out.put(m.hf(), new long[] {3L * cfg.dModel()});
            }
        }
        return out;
    }

    /**
     * Our parameters under HF names and layouts (GPT-2 Conv1D transposed, c_attn fused).
     * @param p the parameters
     * @return HF tensor name to tensor: ours where the layout is the same (shared), else new arrays
     */
    public static Map<String, INDArray> toHf(Parameters p) {
        ModelConfig cfg = p.config();
        Map<String, INDArray> out = new LinkedHashMap<>();
        for (TensorMapping m : mappings(cfg)) {
            switch (m.kind()) {
                case COPY -> out.put(m.hf(), p.get(m.ours()));
                case TRANSPOSE -> out.put(m.hf(), p.get(m.ours()).transpose().dup('c'));
                case QKV_WEIGHT -> out.put(m.hf(), Nd4j.hstack(p.get(m.ours() + "Q").transpose(), p.get(m.ours() + "K").transpose(),
                        p.get(m.ours() + "V").transpose()).dup('c'));
                case QKV_BIAS -> out.put(m.hf(), Nd4j.concat(0, p.get(m.ours() + "Q"), p.get(m.ours() + "K"), p.get(m.ours() + "V")));
            }
        }
        return out;
    }

    /**
     * Saves config.json and model.safetensors (atomically, {@code dtype} storage) into {@code dir}.
     * @param p the parameters to save
     * @param dir the folder to write into, created if missing
     * @param dtype the storage type of the weights
     * @throws IOException when a file cannot be written
     */
    public static void save(Parameters p, Path dir, DType dtype) throws IOException {
        Files.createDirectories(dir);
        SafeTensors.write(dir.resolve("model.safetensors"), toHf(p), dtype, Map.of("format", "pt"));
        p.config().save(dir.resolve("config.json"));
    }
}
