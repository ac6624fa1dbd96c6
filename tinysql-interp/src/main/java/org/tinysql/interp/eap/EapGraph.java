package org.tinysql.interp.eap;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.tinysql.interp.HeadName;
import org.tinysql.interp.ModelView.Qkv;
import org.tinysql.model.ModelConfig;

/**
 * The computational graph that edge attribution patching scores. Sources write to the residual stream: the input
 * embedding ("input"), each attention head ("a{l}.h{h}") and each MLP ("m{l}"). Destinations read from it: each
 * head's query, key and value input ("a{l}.h{h}&lt;q&gt;", key/value per key-value head), each MLP's input ("m{l}")
 * and the unembedding ("logits"). An edge u -> v exists when u is computed before v reads the residual stream.
 * Names follow the EAP-IG convention.
 */
public final class EapGraph {

    /** What a node is. */
    public enum Kind {
        /** The input embedding (a source only). */
        INPUT,
        /** An attention head: a source, and a destination for each of its q/k/v inputs. */
        HEAD,
        /** An MLP: a source and a destination. */
        MLP,
        /** The unembedding (a destination only). */
        LOGITS
    }

    /**
     * A source (writer) node.
     *
     * @param name  the node name, e.g. {@code input}, {@code a1.h0} or {@code m2}
     * @param kind  INPUT, HEAD or MLP
     * @param layer the block index, -1 for the input
     * @param head  the head index, -1 unless a head
     */
    public record Source(String name, Kind kind, int layer, int head) {
    }

    /**
     * A destination (reader): a node's input; {@code qkv} is set for head inputs.
     *
     * @param name  the input's name, e.g. {@code a1.h0<q>}, {@code m2} or {@code logits}
     * @param kind  HEAD, MLP or LOGITS
     * @param layer the block index; L (the layer count) for the logits
     * @param head  the query head (for Q) or key/value head (for K, V), -1 unless a head input
     * @param qkv   which head input, or {@code null} for MLP and logits
     */
    public record Dest(String name, Kind kind, int layer, int head, Qkv qkv) {
        /**
         * The node this input belongs to ("a1.h0" for "a1.h0&lt;q&gt;").
         *
         * @return the node's name
         */
        public String node() {
            return kind == Kind.HEAD ? HeadName.of(layer, head) : name;
        }
    }

    private final ModelConfig cfg;
    private final List<Source> sources = new ArrayList<>();
    private final List<Dest> dests = new ArrayList<>();
    private final Map<String, Integer> sourceIndex = new HashMap<>();
    private final Map<String, Integer> destIndex = new HashMap<>();
    private final boolean[][] valid;
    private final int edgeCount;

    /**
     * The graph of a model's shape.
     *
     * @param cfg the model configuration: layers, query heads and key/value heads
     */
    public EapGraph(ModelConfig cfg) {
        this.cfg = cfg;
        int L = cfg.nLayers(), H = cfg.nHeads(), KV = cfg.nKvHeads();
        addSource(new Source("input", Kind.INPUT, -1, -1));
        for (int l = 0; l < L; l++) {
            for (int h = 0; h < H; h++) {
                addSource(new Source(HeadName.of(l, h), Kind.HEAD, l, h));
            }
            addSource(new Source("m" + l, Kind.MLP, l, -1));
        }
        for (int l = 0; l < L; l++) {
            for (Qkv w : Qkv.values()) {
                int n = w == Qkv.Q ? H : KV;
                for (int h = 0; h < n; h++) {
                    addDest(new Dest(HeadName.input(l, h, w.letter), Kind.HEAD, l, h, w));
                }
            }
            addDest(new Dest("m" + l, Kind.MLP, l, -1, null));
        }
        addDest(new Dest("logits", Kind.LOGITS, L, -1, null));
        valid = new boolean[sources.size()][dests.size()];
        int e = 0;
        for (int u = 0; u < sources.size(); u++) {
            for (int v = 0; v < dests.size(); v++) {
                valid[u][v] = feeds(sources.get(u), dests.get(v));
                e += valid[u][v] ? 1 : 0;
            }
        }
        edgeCount = e;
    }

    private void addSource(Source s) {
        sourceIndex.put(s.name(), sources.size());
        sources.add(s);
    }

    private void addDest(Dest d) {
        destIndex.put(d.name(), dests.size());
        dests.add(d);
    }

    /** Whether source u is computed before destination v reads the residual stream. */
    private static boolean feeds(Source u, Dest v) {
        switch (u.kind()) {
            case INPUT:
                return true;
            case HEAD:
                return v.kind() == Kind.HEAD ? v.layer() > u.layer() : v.layer() >= u.layer();
            default:
                return v.layer() > u.layer();
        }
    }

    /**
     * The model configuration the graph was built for.
     *
     * @return the configuration
     */
    public ModelConfig config() {
        return cfg;
    }

    /**
     * All source nodes: input, then per layer its heads and its MLP.
     *
     * @return an unmodifiable view
     */
    public List<Source> sources() {
        return Collections.unmodifiableList(sources);
    }

    /**
     * All destinations: per layer its q, k and v inputs and its MLP, then the logits.
     *
     * @return an unmodifiable view
     */
    public List<Dest> dests() {
        return Collections.unmodifiableList(dests);
    }

    /**
     * Whether the graph has an edge.
     *
     * @param u the source index
     * @param v the destination index
     * @return {@code true} if u is computed before v reads the residual stream
     */
    public boolean valid(int u, int v) {
        return valid[u][v];
    }

    /**
     * Number of edges.
     *
     * @return the number of valid (u, v) pairs
     */
    public int edgeCount() {
        return edgeCount;
    }

    /**
     * The index of a source node.
     *
     * @param name the node name, e.g. {@code a1.h0}
     * @return its index in {@link #sources()}
     * @throws IllegalArgumentException if there is no such source
     */
    public int source(String name) {
        Integer i = sourceIndex.get(name);
        if (i == null) {
            throw new IllegalArgumentException("no source node '" + name + "' (sources are input, a{l}.h{h}, m{l})");
        }
        return i;
    }

    /**
     * The index of a destination.
     *
     * @param name the destination name, e.g. {@code a1.h0<q>}
     * @return its index in {@link #dests()}
     * @throws IllegalArgumentException if there is no such destination
     */
    public int dest(String name) {
        Integer i = destIndex.get(name);
        if (i == null) {
            throw new IllegalArgumentException("no destination '" + name + "' (a{l}.h{h}<q|k|v>, m{l}, logits)");
        }
        return i;
    }

    /**
     * "src->dst".
     *
     * The name of an edge, e.g. {@code a0.h1->a1.h0<q>}.
     *
     * @param u the source index
     * @param v the destination index
     * @return the source's name, {@code ->}, the destination's name
     */
    public String edgeName(int u, int v) {
        return sources.get(u).name() + "->" + dests.get(v).name();
    }

    /**
     * A circuit with every edge.
     *
     * @return a new circuit holding all {@link #edgeCount()} edges
     */
    public Circuit full() {
        Circuit c = new Circuit(this);
        for (int u = 0; u < sources.size(); u++) {
            for (int v = 0; v < dests.size(); v++) {
                if (valid[u][v]) {
                    c.add(u, v);
                }
            }
        }
        return c;
    }

    /**
     * A circuit without edges.
     *
     * @return a new empty circuit
     */
    public Circuit empty() {
        return new Circuit(this);
    }
}
