package io.usertcp.tools;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code usertcp} command. Each subcommand is its own class, registered here; exit codes: 0
 * success, 1 the work failed (a script mismatched, a test did not pass), 2 usage error, 3 something
 * the command needs is missing (root, a TUN device, libpcap).
 */
@Command(name = "usertcp", mixinStandardHelpOptions = true, version = "usertcp 0.1.0",
        description = "A userspace TCP/IPv4 stack: demo, conformance scripts, and tools for studying TCP.",
        subcommands = {CommandLine.HelpCommand.class})
public final class UsertcpMain implements Runnable {
    public static final int EXIT_OK = 0;
    public static final int EXIT_FAILED = 1;
    public static final int EXIT_USAGE = 2;
    public static final int EXIT_MISSING = 3;

    /** Subcommands added by their own modules register here. */
    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new UsertcpMain());
        for (Object sub : Subcommands.all()) {
            cl.addSubcommand(sub);
        }
        cl.setParameterExceptionHandler(UsertcpMain::parameterError);
        return cl;
    }

    /**
     * A command line that does not parse: one line naming the command and the problem, and a hint
     * where the usage is, instead of picocli's full usage (exit 2).
     */
    private static int parameterError(CommandLine.ParameterException e, String[] args) {
        CommandLine command = e.getCommandLine();
        String name = command.getCommandSpec().qualifiedName();
        java.io.PrintWriter err = command.getErr();
        err.println(name + ": " + e.getMessage() + " (see '" + name + " --help')");
        err.flush();
        return EXIT_USAGE;
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    @Override
    public void run() {
        commandLine().usage(System.out);
    }
}
