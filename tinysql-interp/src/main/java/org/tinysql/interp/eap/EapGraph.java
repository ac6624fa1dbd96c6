package org.tinysql.interp.eap;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
    public enum Kind { INPUT, HEAD, MLP, LOGITS }

    /** A source (writer) node. */
    public record Source(String name, Kind kind, int layer, int head) {
    }

    /** A destination (reader): a node's input; {@code qkv} is set for head inputs. */
    public record Dest(String name, Kind kind, int layer, int head, Qkv qkv) {
        /** The node this input belongs to ("a1.h0" for "a1.h0&lt;q&gt;"). */
        public String node() {
            return kind == Kind.HEAD ? "a" + layer + ".h" + head : name;
        }
    }

    private final ModelConfig cfg;
    private final List<Source> sources = new ArrayList<>();
    private final List<Dest> dests = new ArrayList<>();
    private final Map<String, Integer> sourceIndex = new HashMap<>();
    private final Map<String, Integer> destIndex = new HashMap<>();
    private final boolean[][] valid;
    private final int edgeCount;

    public EapGraph(ModelConfig cfg) {
        this.cfg = cfg;
        int L = cfg.nLayers(), H = cfg.nHeads(), KV = cfg.nKvHeads();
        addSource(new Source("input", Kind.INPUT, -1, -1));
        for (int l = 0; l < L; l++) {
            for (int h = 0; h < H; h++) {
                addSource(new Source("a" + l + ".h" + h, Kind.HEAD, l, h));
            }
            addSource(new Source("m" + l, Kind.MLP, l, -1));
        }
        for (int l = 0; l < L; l++) {
            for (Qkv w : Qkv.values()) {
                int n = w == Qkv.Q ? H : KV;
                for (int h = 0; h < n; h++) {
                    addDest(new Dest("a" + l + ".h" + h + "<" + w.letter + ">", Kind.HEAD, l, h, w));
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

    public ModelConfig config() {
        return cfg;
    }

    public List<Source> sources() {
        return Collections.unmodifiableList(sources);
    }

    public List<Dest> dests() {
        return Collections.unmodifiableList(dests);
    }

    public boolean valid(int u, int v) {
        return valid[u][v];
    }

    /** Number of edges. */
    public int edgeCount() {
        return edgeCount;
    }

    public int source(String name) {
        Integer i = sourceIndex.get(name);
        if (i == null) {
            throw new IllegalArgumentException("no source node '" + name + "' (sources are input, a{l}.h{h}, m{l})");
        }
        return i;
    }

    public int dest(String name) {
        Integer i = destIndex.get(name);
        if (i == null) {
            throw new IllegalArgumentException("no destination '" + name + "' (a{l}.h{h}<q|k|v>, m{l}, logits)");
        }
        return i;
    }

    /** "src->dst". */
    public String edgeName(int u, int v) {
        return sources.get(u).name() + "->" + dests.get(v).name();
    }

    /** A circuit with every edge. */
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

    /** A circuit without edges. */
    public Circuit empty() {
        return new Circuit(this);
    }
}
