package org.tinysql.examples.readme;

// README-BEGIN
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import org.tinysql.data.CommandSet;
import org.tinysql.data.CorruptionKind;
import org.tinysql.data.Variant;
import org.tinysql.interp.study.CircuitStudy;
import org.tinysql.interp.study.Study;
import org.tinysql.interp.study.StudyModel;
import org.tinysql.interp.study.StudyOptions;

/** The study's analyses on a model folder, with smaller batches than the paper's: tables in OUT/study.md. */
public final class StudyOfModels {
    public static void main(String[] args) throws Exception {
        Path modelDir = Path.of(args.length > 0 ? args[0] : "runs/readme/model");
        Path out = Path.of(args.length > 1 ? args[1] : "runs/readme/study");
        int examples = args.length > 2 ? Integer.parseInt(args[2]) : 100_000;   // the size of the dataset it was trained on

        // A zoo folder or a folder of model folders: StudyModel.discover(Path.of("runs/zoo"), false)
        List<StudyModel> models = List.of(new StudyModel("cs1-literal", modelDir, CommandSet.CS1, Variant.LITERAL, examples, 42));
        StudyOptions options = StudyOptions.builder()
                .evalPrompts(50)                       // held-out prompts per command set
                .pairs(2, 16)                          // 2 batches of 16 clean/corrupt pairs per corruption kind
                .igSteps(0)                            // EAP only
                .kinds(EnumSet.of(CorruptionKind.INSTRUCTION_TABLE, CorruptionKind.CONTEXT_FIELD))
                .minimalPrompts(8)
                .saeSteps(50)
                .probePrompts(100)
                .build();
        Study.Result r = new Study(out, options).run(models);   // resumable: a second run reuses every result

        System.out.printf("exact match on CS1: %.3f%n", r.accuracy().get("cs1-literal").get(0).exact());
        for (CircuitStudy.KindCircuit c : r.circuits().get("cs1-literal")) {
            System.out.printf("%s: %d of %d edges reach faithfulness %.2f%n", c.kind(), c.edgesForTarget(), c.totalEdges(), c.faithfulness());
        }
        System.out.println("minimal circuit: " + r.minimal().get("cs1-literal").kept());
        System.out.println("tables: " + out.resolve(Study.STUDY_MD));
    }
}
// README-END
