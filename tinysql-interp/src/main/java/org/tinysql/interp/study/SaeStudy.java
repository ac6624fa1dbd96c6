package org.tinysql.interp.study;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tinysql.data.Split;
import org.tinysql.data.TinySqlExample;
import org.tinysql.interp.TokenRole;
import org.tinysql.interp.sae.ActivationStore;
import org.tinysql.interp.sae.FeatureAnalysis;
import org.tinysql.interp.sae.Sae;
import org.tinysql.interp.sae.SaeConfig;
import org.tinysql.interp.sae.SaeMetrics;
import org.tinysql.interp.sae.SaeTrainer;
import org.tinysql.model.HookName;
import org.tinysql.model.Transformer;
import org.tinysql.tokenizer.Tokenizer;
import org.tinysql.util.Progress;

/**
 * Analysis 6: a TopK SAE (the paper's 15x, k = 32) on the residual stream after every layer and on every MLP output,
 * trained on activations of the model's training prompts, with L0, FVU, CE-loss recovered when spliced in, dead
 * latents, and per token role the most specific latents with their top-activating context.
 */
public final class SaeStudy {
    /** Activations per SAE training batch. */
    static final int BATCH = 1024;
    /** Peak learning rate. */
    static final double LR = 1e-3;
    /** Rows in the activation store's shuffle buffer. */
    static final int BUFFER_ROWS = 16_384;
    /** Validation prompts spliced for the CE-loss metrics. */
    static final int SPLICE_PROMPTS = 60;
    /** Latents listed per token role. */
    static final int PER_ROLE = 3;

    private SaeStudy() {
    }

    /**
     * One SAE's metrics.
     *
     * @param hook          the hook it reads
     * @param dSae          its width
     * @param k             active latents per token
     * @param steps         training steps
     * @param l0            mean active latents per token on validation prompts
     * @param fvu           fraction of variance unexplained
     * @param ceRecovered   (CE zero-ablated - CE spliced) / (CE zero-ablated - CE original); NaN where zero-ablation
     *                      costs less than {@link org.tinysql.interp.sae.SaeMetrics#MIN_ABLATION_LOSS}
     * @param deltaLoss     CE spliced - CE original (nats)
     * @param deadFraction  share of latents that never fire on the validation rows
     * @param features      per role the most specific latents
     */
    public record SaeResult(String hook, int dSae, int k, int steps, double l0, double fvu, double ceRecovered, double deltaLoss,
                            double deadFraction, List<RoleFeature> features) {
    }

    /**
     * A latent specific to a token role.
     *
     * @param role    the role, e.g. {@code response field}
     * @param latent  the latent's index
     * @param share   the share of the latent's activation mass on that role
     * @param recall  the fraction of the role's tokens it fires on
     * @param context its top-activating token in context, marked with [[ ]]
     */
    public record RoleFeature(String role, int latent, double share, double recall, String context) {
    }

    /**
     * The latents most specific to each token role, with their top-activating context.
     *
     * @param fa a feature analysis
     * @return per role (in the analysis's order) its specific latents
     */
    public static List<RoleFeature> roleFeatures(FeatureAnalysis.Result fa) {
        List<RoleFeature> features = new ArrayList<>();
        for (Map.Entry<TokenRole, List<FeatureAnalysis.Specific>> e : fa.byRole().entrySet()) {
            for (FeatureAnalysis.Specific s : e.getValue()) {
                FeatureAnalysis.Feature f = fa.features().get(s.latent());
                features.add(new RoleFeature(e.getKey().label(), s.latent(), s.share(), s.recall(),
                        f.top().isEmpty() ? "" : f.top().get(0).context()));
            }
        }
        return features;
    }

    /** @return every layer's {@code hook_resid_post}, then every layer's {@code hook_mlp_out} */
    public static List<String> hooks(int layers) {
        List<String> out = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            out.add(HookName.residPost(l));
        }
        for (int l = 0; l < layers; l++) {
            out.add(HookName.mlpOut(l));
        }
        return out;
    }

    /**
     * Trains one TopK SAE per hook side by side: one model run over the training prompts serves every hook (each SAE
     * sees the rows, and so ends with the weights, it would get trained alone), a step of each SAE in turn.
     *
     * @param model    the model
     * @param tok      its tokenizer
     * @param m        the model's dataset
     * @param hooks    the hooks
     * @param o        steps, width, k, prompts, seed
     * @param progress advanced per step of each SAE
     * @return the trained SAEs by hook, in the order given
     * @throws IOException when the activations cannot be read
     */
    public static Map<String, Sae> train(Transformer model, Tokenizer tok, StudyModel m, List<String> hooks, StudyOptions o,
                                         Progress progress) throws IOException {
        List<TinySqlExample> train = m.rows(m.commandSet(), Split.TRAIN, o.saeTrainPrompts());
        Map<String, ActivationStore> stores = ActivationStore.fromModel(model, tok, train, hooks, 16, BUFFER_ROWS, o.seed());
        Map<String, SaeTrainer> trainers = new LinkedHashMap<>();
        int c = model.config().dModel();
        for (String hook : hooks) {
            trainers.put(hook, SaeTrainer.prepare(stores.get(hook), SaeConfig.topK(c, o.saeExpansion() * c, o.saeK()).withHook(hook),
                    false, LR, o.seed(), model.kernels()));
        }
        for (int s = 0; s < o.saeSteps(); s++) {
            for (String hook : hooks) {
                SaeTrainer.StepStats st = trainers.get(hook).step(stores.get(hook).nextArray(BATCH), s, o.saeSteps());
                progress.advance(1);
                if (s % 10 == 0 || s == o.saeSteps() - 1) {
                    progress.status(hook + " " + st.describe());
                }
            }
        }
        Map<String, Sae> out = new LinkedHashMap<>();
        trainers.forEach((hook, t) -> out.put(hook, t.sae()));
        return out;
    }

    /**
     * Saves a trained SAE to {@code saveDir} (SAELens layout) and measures it on validation prompts.
     *
     * @param model    the model
     * @param tok      its tokenizer
     * @param m        the model's dataset
     * @param hook     the SAE's hook
     * @param sae      the SAE
     * @param o        steps, k, prompts
     * @param saveDir  where the SAE is written
     * @param progress advanced per validation prompt
     * @return the metrics
     * @throws IOException when the SAE cannot be written
     */
    public static SaeResult measure(Transformer model, Tokenizer tok, StudyModel m, String hook, Sae sae, StudyOptions o, Path saveDir,
                                    Progress progress) throws IOException {
        List<TinySqlExample> val = m.rows(m.commandSet(), Split.VALIDATION, o.saeEvalPrompts());
        sae.save(saveDir);
        SaeMetrics.Reconstruction rec = SaeMetrics.reconstruction(model, tok, sae, val);
        SaeMetrics.Splice sp = SaeMetrics.splice(model, tok, sae, hook, val.subList(0, Math.min(SPLICE_PROMPTS, val.size())));
        List<RoleFeature> features = roleFeatures(FeatureAnalysis.run(model, tok, sae, hook, val, 4, 5, PER_ROLE, progress));
        return new SaeResult(hook, sae.config().dSae(), o.saeK(), o.saeSteps(), rec.l0(), rec.fvu(), sp.ceRecovered(), sp.deltaLoss(),
                rec.deadFraction(), features);
    }
}
