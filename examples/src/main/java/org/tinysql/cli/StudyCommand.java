package org.tinysql.cli;

import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import org.tinysql.data.CommandSet;
import org.tinysql.data.CorruptionKind;
import org.tinysql.data.Variant;
import org.tinysql.interp.study.Study;
import org.tinysql.interp.study.StudyModel;
import org.tinysql.interp.study.StudyOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tinysql study}: the paper's analyses across command sets on a zoo or any folder of models; see {@link Study}. */
@Command(name = "study", mixinStandardHelpOptions = true,
        description = "The TinySQL study on a set of models (a zoo folder, a model folder, or a folder of them): accuracy matrix, "
                + "circuits per corruption kind (EAP, EAP-IG) and their variation, logit lens by SQL role, TopK SAEs, the "
                + "table-name heuristic. Writes study.json, study.md and report/study.html; resumable.")
public final class StudyCommand implements Callable<Integer> {
    /** Training steps of each model that {@code --quick} trains itself. */
    static final int QUICK_STEPS = 60;
    /** Dataset size of the models that {@code --quick} trains. */
    static final int QUICK_EXAMPLES = 3000;

    @Option(names = "--models", description = "A zoo folder (zoo.json), a model folder, or a folder of model folders whose names say "
            + "their command set (cs1..cs5; 'syn' for synonym training). Optional with --quick.")
    Path models;

    @Option(names = "--out", defaultValue = "runs/study", description = "Output folder (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--quick", description = "Small batches (a smoke run of a few minutes); without --models it first trains two "
            + "tiny models (CS1 and CS2 literal, " + QUICK_STEPS + " steps) into OUT/zoo.")
    boolean quick;

    @Option(names = "--all-seeds", description = "Study every seed of a zoo (default: the lowest seed per command set and variant).")
    boolean allSeeds;

    @Option(names = "--kinds", split = ",", description = "Corruption kinds, e.g. instruction-table,order-by-direction (default: all 17).")
    List<String> kinds;

    @Option(names = "--eval", description = "Test prompts per model and command set (default: 300; --quick 40).")
    Integer eval;

    @Option(names = "--pairs", description = "Pair batches x pairs per batch per corruption kind, e.g. 3x30 (default: 3x30; --quick 2x8).")
    String pairs;

    @Option(names = "--ig-steps", description = "EAP-IG steps: with 1 or more, every circuit is also found with EAP-IG, which doubles the circuit time "
            + "(default: 0, EAP only).")
    Integer igSteps;

    @Option(names = "--sae-steps", description = "Training steps per SAE; 0 skips the SAEs (default: 500; --quick 30).")
    Integer saeSteps;

    @Option(names = "--seed", defaultValue = "7", description = "Seed of pairs, prompts and SAEs (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws Exception {
        StudyOptions o = options();
        Path modelFolder = models;
        if (modelFolder == null) {
            if (!quick) {
                throw new IllegalArgumentException("--models is required (a zoo folder, a model folder or a folder of them); "
                        + "--quick alone trains two tiny models first");
            }
            modelFolder = out.resolve("zoo");
            new Zoo(modelFolder, new Zoo.Options(List.of(CommandSet.CS1, CommandSet.CS2), List.of(Variant.LITERAL), List.of(1L),
                    QUICK_EXAMPLES, 20, 42, 0, new RecipeOverrides().steps(QUICK_STEPS))).run();
        }
        List<StudyModel> found = StudyModel.discover(modelFolder, allSeeds);
        Study.Result r = new Study(out, o).run(found);
        System.out.printf(java.util.Locale.ROOT, "study of %d models in %.1f minutes, %d results: %d computed, %d reused%n", found.size(),
                r.minutes(), r.computed() + r.reused(), r.computed(), r.reused());
        System.out.println("wrote " + out.resolve(Study.STUDY_MD) + ", " + out.resolve(Study.STUDY_JSON) + " and " + out.resolve(Study.STUDY_HTML));
        return 0;
    }

    StudyOptions options() {
        StudyOptions.Builder b = (quick ? StudyOptions.quick() : StudyOptions.full()).toBuilder().seed(seed);
        if (kinds != null && !kinds.isEmpty()) {
            Set<CorruptionKind> set = EnumSet.noneOf(CorruptionKind.class);
            kinds.forEach(k -> set.add(CorruptionKind.parse(k)));
            b.kinds(set);
        }
        if (eval != null) {
            b.evalPrompts(eval);
        }
        if (pairs != null) {
            String[] p = pairs.toLowerCase(java.util.Locale.ROOT).split("x", -1);
            if (p.length != 2 || !p[0].matches("\\d{1,4}") || !p[1].matches("\\d{1,4}")) {
                throw new IllegalArgumentException("--pairs wants BATCHESxPAIRS, e.g. 3x30: " + pairs);
            }
            b.pairs(Integer.parseInt(p[0]), Integer.parseInt(p[1]));
        }
        if (igSteps != null) {
            b.igSteps(igSteps);
        }
        if (saeSteps != null) {
            b.saeSteps(saeSteps);
        }
        return b.build();
    }
}
