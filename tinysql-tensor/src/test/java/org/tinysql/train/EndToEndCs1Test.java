package org.tinysql.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tinysql.data.CommandSet;
import org.tinysql.data.DatasetGenerator;
import org.tinysql.data.TinySqlExample;
import org.tinysql.data.Variant;
import org.tinysql.model.ModelConfig;
import org.tinysql.model.Parameters;
import org.tinysql.model.SqlPredictor;
import org.tinysql.model.Transformer;
import org.tinysql.sql.ExactMatch;
import org.tinysql.tokenizer.SqlVocabTokenizer;
import org.tinysql.util.Progress;

/**
 * From scratch to working text-to-SQL on CPU: a 2-layer, d=128 model trained on generated CS1 data with the
 * SqlVocabTokenizer must reach more than 90% exact match on held-out CS1 prompts with greedy decoding.
 */
class EndToEndCs1Test {
    private static final Logger LOG = LoggerFactory.getLogger(EndToEndCs1Test.class);
    static final int STEPS = Integer.getInteger("tinysql.e2e.steps", 3000);

    @Test
    void trainsCs1FromScratchToOver90PercentExactMatch() throws Exception {
        List<TinySqlExample> all = new DatasetGenerator(CommandSet.CS1, Variant.LITERAL, 42).generate(20_000);
        List<TinySqlExample> train = all.subList(0, 18_000);
        List<TinySqlExample> val = all.subList(18_000, 19_000);
        List<TinySqlExample> test = all.subList(19_000, 19_300);
        List<String> texts = new ArrayList<>();
        train.forEach(e -> texts.add(e.fullText()));
        SqlVocabTokenizer tok = SqlVocabTokenizer.build(texts, 2, 8_000);
        ModelConfig cfg = ModelConfig.gpt2(tok.vocabSize(), 128, 2, 4, 256).withTokens(-1, tok.eosId());
        Transformer model = new Transformer(Parameters.init(cfg, 1));
        Trainer.Config tc = Trainer.Config.defaults(STEPS, 16).withLr(4e-3, 4e-4);
        Trainer trainer = new Trainer(model, tok, train, val, tc, null);
        long t0 = System.nanoTime();
        List<Trainer.StepLog> h = trainer.run(Progress.NONE);
        double trainSecs = (System.nanoTime() - t0) / 1e9;
        double tps = h.stream().skip(10).mapToDouble(Trainer.StepLog::tokensPerSecond).average().orElse(Double.NaN);

        long g0 = System.nanoTime();
        List<String> preds = new SqlPredictor(model, tok, 48).predict(test, 64, Progress.NONE);
        double genSecs = (System.nanoTime() - g0) / 1e9;
        ExactMatch exact = new ExactMatch();
        int ok = 0;
        for (int i = 0; i < test.size(); i++) {
            ok += exact.score(null, test.get(i).sqlStatement(), preds.get(i)).correct() ? 1 : 0;
        }
        double acc = (double) ok / test.size();
        LOG.info(String.format(java.util.Locale.ROOT,
                "CS1 from scratch: %d steps in %.1f s (%.0f tokens/s), final loss %.4f, exact match %.1f%% on %d held-out prompts "
                        + "(greedy decoding %.1f s)", STEPS, trainSecs, tps, h.get(h.size() - 1).loss(), 100 * acc, test.size(), genSecs));
        assertTrue(acc > 0.90, "exact match " + acc + "; e.g. predicted '" + preds.get(0) + "' for '" + test.get(0).sqlStatement() + "'");
    }
}
