package org.tinysql.examples;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.tinysql.data.DatasetIO;
import org.tinysql.data.Split;
import org.tinysql.data.TinySqlExample;
import org.tinysql.interp.TokenRole;
import org.tinysql.interp.sae.ActivationStore;
import org.tinysql.interp.sae.FeatureAnalysis;
import org.tinysql.interp.sae.Sae;
import org.tinysql.interp.sae.SaeConfig;
import org.tinysql.interp.sae.SaeHooks;
import org.tinysql.interp.sae.SaeMetrics;
import org.tinysql.interp.sae.SaeTrainer;
import org.tinysql.model.Hooks;
import org.tinysql.util.ConsoleProgressBar;
import org.tinysql.util.Progress;

/**
 * 08 - A TopK sparse autoencoder on the residual stream after layer 0: train it on activations of CS1 texts
 * (shuffled buffer, normalized), report L0 / FVU / CE-loss recovered, list the latents most specific to table and
 * field tokens, and steer one.
 *
 * <pre>java -cp examples/target/tinysql.jar org.tinysql.examples.E08SparseAutoencoder [model-folder]</pre>
 */
public final class E08SparseAutoencoder {

    private E08SparseAutoencoder() {
    }

    public static void main(String[] args) throws Exception {
        ExampleModel m = ExampleModel.load(args);
        String hook = "blocks.0.hook_resid_post";
        List<TinySqlExample> train = DatasetIO.read(E01GenerateDataset.DATA, Split.TRAIN).subList(0, 3000);
        List<TinySqlExample> val = DatasetIO.read(E01GenerateDataset.DATA, Split.VALIDATION).subList(0, 100);

        ActivationStore store = ActivationStore.fromModel(m.model(), m.tokenizer(), train, hook, 16, 16_384, 1);
        int c = m.model().config().dModel();
        Sae sae;
        try (ConsoleProgressBar bar = new ConsoleProgressBar("sae", 1000)) {
            sae = SaeTrainer.fit(store, SaeConfig.topK(c, 8 * c, 16).withHook(hook), false, 1e-3, 1024, 1000, 1, m.model().kernels(), bar).sae();
        }
        sae.save(Path.of("runs/examples/sae"));

        ActivationStore evalStore = ActivationStore.fromModel(m.model(), m.tokenizer(), val, hook, 16, 8192, 2);
        SaeMetrics.Reconstruction rec = SaeMetrics.reconstruction(sae, evalStore.nextArray(4096));
        SaeMetrics.Splice sp = SaeMetrics.splice(m.model(), m.tokenizer(), sae, hook, val.subList(0, 50));
        System.out.println(SaeMetrics.describe(rec, sp));

        FeatureAnalysis.Result fa = FeatureAnalysis.run(m.model(), m.tokenizer(), sae, hook, val, 3, 5, 3, Progress.NONE);
        for (TokenRole role : new TokenRole[] {TokenRole.CONTEXT_TABLE, TokenRole.CONTEXT_FIELD, TokenRole.INSTRUCTION_FIELD,
            TokenRole.RESPONSE_KEYWORD}) {
            for (FeatureAnalysis.Specific s : fa.byRole().get(role)) {
                var f = fa.features().get(s.latent());
                System.out.printf(Locale.ROOT, "%-18s latent %4d share %.2f recall %.2f  %s%n", role.label(), s.latent(), s.share(), s.recall(),
                        f.top().isEmpty() ? "" : f.top().get(0).context());
            }
        }

        // Steering: force the most table-specific latent on at every position and see what the model writes.
        List<FeatureAnalysis.Specific> tables = fa.byRole().get(TokenRole.CONTEXT_TABLE);
        if (!tables.isEmpty()) {
            int latent = tables.get(0).latent();
            double loss;
            TinySqlExample ex = val.get(0);
            int[] ids = new org.tinysql.interp.TokenTagger(m.tokenizer()).tag(ex).tokens();
            m.model().forward(new int[][] {ids}, null);
            double base = m.model().loss(new int[][] {ids}, false);
            try (Hooks.Handle h = m.model().hooks().addForward(hook, SaeHooks.steer(sae, latent, 10f))) {
                m.model().forward(new int[][] {ids}, null);
                loss = m.model().loss(new int[][] {ids}, false);
            }
            System.out.printf(Locale.ROOT, "steering latent %d to 10 everywhere: loss %.3f -> %.3f%n", latent, base, loss);
        }
    }
}
