package io.usertcp.tools;

import io.usertcp.tools.demo.MissingProgramException;
import io.usertcp.tools.pcap.Libpcap;
import io.usertcp.tun.TunSupport;
import io.usertcp.tun.TunUnavailableException;
import java.io.UncheckedIOException;
import java.util.concurrent.Callable;

/** What the commands that run a stack share: the one-line check for root and TUN, and exit codes. */
final class CommandSupport {
    private CommandSupport() {}

    /** Prints {@code usertcp COMMAND: problem} and returns {@link UsertcpMain#EXIT_USAGE}. */
    static int usage(String command, String problem) {
        System.err.println("usertcp " + command + ": " + problem);
        return UsertcpMain.EXIT_USAGE;
    }

    /**
     * Checks that TUN devices and namespaces work here, then runs {@code body}.
     *
     * @return {@code body}'s exit code; {@link UsertcpMain#EXIT_MISSING} with one line on stderr when
     *         something is missing; {@link UsertcpMain#EXIT_FAILED} when {@code body} throws
     */
    static int runWithStack(String command, Callable<Integer> body) {
        return runWithStack(command, null, body);
    }

    /**
     * Like {@link #runWithStack(String, Callable)}, checking {@code pcap} first: a file that cannot be
     * written is a usage error, libpcap missing is something missing.
     */
    static int runWithStack(String command, PcapOption pcap, Callable<Integer> body) {
        if (pcap != null && pcap.problem() != null) {
            return usage(command, pcap.problem());
        }
        if (pcap != null && pcap.file() != null) {
            try {
                Libpcap.require();
            } catch (Libpcap.MissingException e) {
                System.err.println("usertcp " + command + ": " + e.getMessage());
                return UsertcpMain.EXIT_MISSING;
            }
        }
        String missing = TunSupport.check();
        if (missing != null) {
            System.err.println("usertcp " + command + ": " + missing);
            return UsertcpMain.EXIT_MISSING;
        }
        try {
            return body.call();
        } catch (TunUnavailableException e) {
            System.err.println("usertcp " + command + ": " + e.getMessage());
            return UsertcpMain.EXIT_MISSING;
        } catch (MissingProgramException e) {
            System.err.println("usertcp " + command + ": " + e.getMessage());
            return UsertcpMain.EXIT_MISSING;
        } catch (UncheckedIOException e) {
            // the pcap file or the control socket could not be made: the message says which and why
            System.err.println("usertcp " + command + ": " + e.getMessage());
            return e.getCause() instanceof Libpcap.MissingException ? UsertcpMain.EXIT_MISSING : UsertcpMain.EXIT_FAILED;
        } catch (Exception e) {
            System.err.println("usertcp " + command + ": failed: " + e);
            if (System.getenv("USERTCP_DEBUG") != null) {
                e.printStackTrace();
            }
            return UsertcpMain.EXIT_FAILED;
        }
    }
}
