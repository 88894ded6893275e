package io.usertcp.tools;

import io.usertcp.tools.demo.MissingProgramException;
import io.usertcp.tun.TunSupport;
import io.usertcp.tun.TunUnavailableException;
import java.util.concurrent.Callable;

/** What the commands that run a stack share: the one-line check for root and TUN, and exit codes. */
final class CommandSupport {
    private CommandSupport() {}

    /**
     * Checks that TUN devices and namespaces work here, then runs {@code body}.
     *
     * @return {@code body}'s exit code; {@link UsertcpMain#EXIT_MISSING} with one line on stderr when
     *         something is missing; {@link UsertcpMain#EXIT_FAILED} when {@code body} throws
     */
    static int runWithStack(String command, Callable<Integer> body) {
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
        } catch (Exception e) {
            System.err.println("usertcp " + command + ": failed: " + e);
            if (System.getenv("USERTCP_DEBUG") != null) {
                e.printStackTrace();
            }
            return UsertcpMain.EXIT_FAILED;
        }
    }
}
