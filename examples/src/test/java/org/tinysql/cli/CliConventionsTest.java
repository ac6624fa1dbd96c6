package org.tinysql.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/** Conventions every subcommand keeps (issue 21): defaults shown in the help, one option name per concept. */
class CliConventionsTest {

    private static void walk(CommandLine cl, List<CommandLine> out) {
        out.add(cl);
        cl.getSubcommands().values().forEach(sub -> walk(sub, out));
    }

    private static List<CommandLine> commands() {
        List<CommandLine> all = new ArrayList<>();
        walk(new CommandLine(new TinySqlCli()), all);
        return all;
    }

    @Test
    void everyDefaultIsShownInTheHelp() {
        List<String> hidden = new ArrayList<>();
        for (CommandLine cl : commands()) {
            for (OptionSpec o : cl.getCommandSpec().options()) {
                boolean flag = o.type() == boolean.class || o.type() == Boolean.class;
                if (o.usageHelp() || o.versionHelp() || flag || o.defaultValue() == null) {
                    continue;
                }
                if (!String.join(" ", o.description()).contains("default")) {
                    hidden.add(cl.getCommandSpec().qualifiedName() + " " + o.longestName());
                }
            }
        }
        assertEquals(List.of(), hidden, "options whose default value the help does not show");
    }

    @Test
    void oneNamePerConcept() {
        // Names that mean the same thing must not appear in different spellings across subcommands.
        Map<String, String> banned = new HashMap<>();
        banned.put("--command-set", "--cs");
        banned.put("--batch-size", "--batch");
        banned.put("--synonyms", "--variant");
        banned.put("--top", "--top-edges or --top-latents");
        banned.put("--num", "--n");
        banned.put("--output", "--out");
        List<String> found = new ArrayList<>();
        for (CommandLine cl : commands()) {
            for (OptionSpec o : cl.getCommandSpec().options()) {
                for (String name : o.names()) {
                    if (banned.containsKey(name)) {
                        found.add(cl.getCommandSpec().qualifiedName() + " " + name + " (use " + banned.get(name) + ")");
                    }
                }
            }
        }
        assertEquals(List.of(), found);
    }
}
