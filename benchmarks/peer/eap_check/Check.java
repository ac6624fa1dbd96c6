import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.nio.file.Path;
import java.util.*;
import org.tinysql.interp.Metric;
import org.tinysql.interp.PatchBatch;
import org.tinysql.interp.eap.*;
import org.tinysql.model.Transformer;

/** usage: Check MODEL_DIR PAIRS_JSON OUT_JSON IG_STEPS  -- writes {"src->dst": score} for every valid edge. */
public class Check {
    public static void main(String[] a) throws Exception {
        ObjectMapper om = new ObjectMapper();
        JsonNode j = om.readTree(new File(a[1]));
        int[][] clean = om.convertValue(j.get("clean_ids"), int[][].class);
        int[][] corrupt = om.convertValue(j.get("corrupt_ids"), int[][].class);
        int[] pos = om.convertValue(j.get("answer_pos"), int[].class);
        int[] ca = om.convertValue(j.get("clean_answer"), int[].class);
        int[] xa = om.convertValue(j.get("corrupt_answer"), int[].class);
        int[][] mask = new int[clean.length][clean[0].length];
        for (int[] r : mask) Arrays.fill(r, 1);
        PatchBatch b = new PatchBatch(clean, corrupt, mask, pos, ca, xa);
        Transformer m = Transformer.fromPretrained(Path.of(a[0]));
        int ig = Integer.parseInt(a[3]);
        EapResult res = new EdgeAttribution(m).run(b, Metric.Kind.LOGIT_DIFF, ig, b.size());
        EapGraph g = res.graph();
        Map<String, Double> out = new LinkedHashMap<>();
        for (int u = 0; u < g.sources().size(); u++)
            for (int v = 0; v < g.dests().size(); v++)
                if (g.valid(u, v)) out.put(g.edgeName(u, v), res.scores()[u][v]);
        om.writeValue(new File(a[2]), out);
        System.out.println(a[0] + " " + res.method() + " edges=" + g.edgeCount() + " clean=" + res.cleanMetric() + " corrupt=" + res.corruptMetric());
    }
}
