package org.tinysql.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code tinysql} command line. */
@Command(name = "tinysql", mixinStandardHelpOptions = true, versionProvider = BuildVersion.class,
        description = "Text-to-SQL transformers and their circuits, on the JVM.",
        subcommands = {QuickstartCommand.class, GenerateCommand.class, TrainCommand.class, FinetuneCommand.class, EvalCommand.class, ZooCommand.class, EapCommand.class, SaeCommand.class, BenchCommand.class,
            CommandLine.HelpCommand.class})
public final class TinySqlCli implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        // java -jar tinysql.jar: restart once with the Vector API module when it is missing (see JvmRelaunch)
        System.exit(JvmRelaunch.run(TinySqlCli.class.getName(), args).orElseGet(() -> run(args)));
    }

    /** Runs the CLI and returns its exit code (for tests). */
    public static int run(String... args) {
        CommandLine cl = new CommandLine(new TinySqlCli());
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            // Expected failures (bad input files, bad options) get one clear line, not a stack trace.
            commandLine.getErr().println(commandLine.getColorScheme().errorText("error: " + ex.getMessage()));
            org.slf4j.LoggerFactory.getLogger(TinySqlCli.class).debug("command failed", ex);
            return 1;
        });
        return cl.execute(args);
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
