package org.tinysql.train;

import org.tinysql.model.ModelConfig;
import org.tinysql.model.Parameters;
import org.tinysql.model.Transformer;
import org.tinysql.tokenizer.Tokenizer;

/**
 * The measured recipe for training a small TinySQL model from scratch on a CPU: a 2-layer d=128 4-head Llama style
 * model (RMSNorm, rotary positions, SwiGLU, tied embeddings), weights initialised with standard deviation 0.05, AdamW
 * at 2e-3 (5% warmup, cosine to 2e-4), 3000 batches of 32 examples in packed rows. The quickstart, {@code tinysql
 * train}'s defaults, the examples and the end-to-end test use it.
 *
 * <p>Why these choices (CS1, exact match on held-out prompts, greedy decoding; numbers in the notes of issue 5):
 * <ul>
 *   <li>Training has two plateaus. First the model only learns the format (validation loss about 2.5 per response
 *       token); with GPT-2's 0.02 initialisation that lasted about 1000 steps, with 0.05 it is over by step 500.</li>
 *   <li>Then it copies the first and the last requested field but repeats a field in the middle (about 55% exact)
 *       until the heads that find "the field after the one just written" form; they need relative positions. With
 *       GPT-2's learned absolute positions that happened at a seed-dependent step, from 1300 (3 layers) to past 5000
 *       (2 layers): 2-layer GPT-2 runs of 5000 steps ended between 77% and 96% depending on the seed. With rotary
 *       positions it happens between steps 750 and 1000 for every seed tried, and 1500 steps reached 99-100% on the
 *       narrower data generated before (SELECT lists of 1-4 fields).</li>
 *   <li>With the original TinySQL's variety (SELECT lists of 1 to 12 fields, mean 4; 80 instruction templates) the same
 *       failure lasts longer and concentrates on long lists: the model skips or repeats a field in the middle. One
 *       3000-step run (E2E seeds, 200k examples) scored 42% exact at step 1000, 81% at 1500, 84% at 2000 and 94.4% at
 *       the end on 500 held-out prompts (100% on 1 field, 94-99% on 2-6 fields, 87-91% on 7-9, 25-83% on 10-12); most
 *       of the gain comes in the cosine tail, so a 1500-step schedule stops at 37%. A third layer learned more slowly
 *       (validation loss 0.70 at step 1200 against 0.18 with two layers), so the recipe keeps two layers and doubles
 *       the steps.</li>
 * </ul>
 */
public final class SmallModelRecipe {
    public static final int D_MODEL = 128;
    public static final int LAYERS = 2;
    public static final int HEADS = 4;
    public static final int MAX_POSITIONS = 512;
    public static final double INIT_STD = 0.05;
    public static final double PEAK_LR = 2e-3;
    public static final int BATCH = 32;
    public static final int STEPS = 3000;

    private SmallModelRecipe() {
    }

    /** The model shape with the tokenizer's vocabulary and EOS. */
    public static ModelConfig config(Tokenizer tok) {
        return ModelConfig.llama(tok.vocabSize(), D_MODEL, LAYERS, HEADS, MAX_POSITIONS).withTokens(-1, tok.eosId());
    }

    /** A freshly initialised model of {@link #config} (deterministic in the seed). */
    public static Transformer model(Tokenizer tok, long seed) {
        return new Transformer(Parameters.init(config(tok), seed, INIT_STD));
    }

    /**
     * The training schedule: {@code steps} steps of {@code batch}, warmup 5%, cosine from {@link #PEAK_LR} to a tenth
     * of it, weight decay 0.01, clipping at 1, validation every tenth of the run, packed rows.
     */
    public static Trainer.Config training(int steps, int batch, long dataSeed) {
        return new Trainer.Config(steps, batch, PEAK_LR, PEAK_LR / 10, Math.max(1, steps / 20), 0.01, 1.0,
                Math.max(1, steps / 10), 4, 0, 2, dataSeed, MAX_POSITIONS);
    }
}
