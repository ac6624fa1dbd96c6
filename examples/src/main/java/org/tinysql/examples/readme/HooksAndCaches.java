package org.tinysql.examples.readme;

// README-BEGIN
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.tinysql.data.DatasetIO;
import org.tinysql.data.Split;
import org.tinysql.data.TinySqlExample;
import org.tinysql.model.ActivationCache;
import org.tinysql.model.HookName;
import org.tinysql.model.Hooks;
import org.tinysql.model.RunSpec;
import org.tinysql.model.TinySqlModel;
import org.tinysql.model.Transformer;
import org.tinysql.tokenizer.HfTokenizer;

/** TransformerLens-style hooks on a trained model folder: caches, gradients, edits. */
public final class HooksAndCaches {
    public static void main(String[] args) throws Exception {
        TinySqlModel m = TinySqlModel.load(Path.of(args.length > 0 ? args[0] : "runs/readme/model"));
        Path data = Path.of(args.length > 1 ? args[1] : "runs/readme/data");
        List<TinySqlExample> examples = DatasetIO.read(data, Split.TEST).subList(0, 4);
        HfTokenizer.Batch batch = m.encodePrompts(examples);                   // left-padded prompts
        int[][] ids = batch.inputIds();
        int[][] mask = batch.attentionMask();
        Transformer model = m.transformer();

        INDArray logits = model.forward(ids, mask).dup();                      // [B, T, V]; dup(): the view is reused
        long b = logits.size(0);
        long t = logits.size(1);
        // d(metric)/d(logits) for metric = the sum of each prompt's top next-token logit at the last position
        INDArray dLogits = Nd4j.zerosLike(logits);
        for (int i = 0; i < b; i++) {
            long top = logits.get(NDArrayIndex.point(i), NDArrayIndex.point(t - 1), NDArrayIndex.all()).argMax().getLong(0);
            dLogits.putScalar(new long[] {i, t - 1, top}, 1f);
        }

        try (ActivationCache cache = model.run(RunSpec.of(ids, mask)
                .cache(HookName.z(1), HookName.pattern(0))                   // keep these activations
                .grads(name -> name.endsWith("hook_resid_pre"))              // and these gradients
                .edit(HookName.residMid(0), (act, name) -> act.muli(0.5)))) { // an edit for this run only
            INDArray z = cache.get(HookName.z(1));                            // [B, T, H, D]
            cache.backward(dLogits);
            INDArray grad = cache.grad(HookName.residPre(0));                 // [B, T, C]
            INDArray heads = cache.stackHeadResults(1);                       // [H, B, T, C]
            System.out.println("z " + java.util.Arrays.toString(z.shape()) + ", d/d resid_pre "
                    + java.util.Arrays.toString(grad.shape()) + ", head results " + java.util.Arrays.toString(heads.shape()));
        }
        Map<String, INDArray> patterns = model.runWithCache(ids, mask, name -> name.endsWith("hook_pattern"));
        System.out.println("attention patterns: " + patterns.keySet());
        try (Hooks.Handle h = model.hooks().addForward(HookName.z(1), (z, name) -> z.muli(0))) {  // zero layer 1's heads
            INDArray ablated = model.forward(ids, mask);                      // hooks stay until closed
            System.out.println("logit change when layer 1's heads are zeroed: "
                    + ablated.sub(logits).norm2Number().doubleValue());
        }
    }
}
// README-END
