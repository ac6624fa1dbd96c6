package org.tinysql.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code tinysql} command line. */
@Command(name = "tinysql", mixinStandardHelpOptions = true, versionProvider = BuildVersion.class,
        description = "Text-to-SQL transformers and their circuits, on the JVM.",
        subcommands = {QuickstartCommand.class, GenerateCommand.class, TrainCommand.class, FinetuneCommand.class, EvalCommand.class, ZooCommand.class, StudyCommand.class, EapCommand.class, SaeCommand.class, BenchCommand.class,
            CommandLine.HelpCommand.class})
public final class TinySqlCli implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        // java -jar tinysql.jar: restart once with the Vector API module when it is missing (see JvmRelaunch)
        System.exit(JvmRelaunch.run(TinySqlCli.class.getName(), args).orElseGet(() -> {
            org.tinysql.util.TerminalLines.install();
            return run(args);
        }));
    }

    /** Runs the CLI and returns its exit code (for tests). */
    public static int run(String... args) {
        CommandLine cl = new CommandLine(new TinySqlCli());
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            // Expected failures (bad input files, bad options) get one clear line, not a stack trace.
            commandLine.getErr().println(commandLine.getColorScheme().errorText("error: " + ex.getMessage()));
            org.slf4j.LoggerFactory.getLogger(TinySqlCli.class).debug("command failed", ex);
            return exitCode(ex);
        });
        return cl.execute(args);
    }

    /** Exit code for a user's mistake: an option value, or a file that is missing, unreadable or malformed. */
    public static final int USAGE_ERROR = 2;
    /** Exit code for any other failure. */
    public static final int FAILURE = 1;

    /**
     * {@link #USAGE_ERROR} (2, as picocli's own option errors) when the exception says the user gave something
     * unusable: an option value ({@link IllegalArgumentException}), a path that is missing, a folder where a file was
     * expected, not permitted, already taken ({@link java.nio.file.FileSystemException}) or a file that does not
     * parse (the data, tokenizer and checkpoint format exceptions); {@link #FAILURE} (1) otherwise.
     */
    static int exitCode(Throwable ex) {
        Throwable t = ex instanceof java.io.UncheckedIOException && ex.getCause() != null ? ex.getCause() : ex;
        boolean mistake = t instanceof IllegalArgumentException
                || t instanceof java.nio.file.FileSystemException
                || t instanceof java.io.FileNotFoundException
                || t instanceof org.tinysql.data.DataFormatException
                || t instanceof org.tinysql.tensor.CheckpointFormatException;   // model and training checkpoints
        return mistake ? USAGE_ERROR : FAILURE;
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
