package io.usertcp.tools.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The holder refuses commands that would dial outside 198.18.0.0/15 or break its bounds, before any socket. */
class ConnectionHolderTest {

    private static String open(String line) {
        return new ConnectionHolder().open(line.split(" "));
    }

    @Test
    void addressesOutsideTheBenchmarkRange_areRefused() {
        // DESIGN.md §10: nothing is ever sent to any other address
        String local = open("open hold 1 10.0.0.1 20000 198.18.0.2 5005 1 1000");
        assertTrue(local.startsWith("error ") && local.contains("198.18.0.0/15"), local);
        String remote = open("open hold 1 198.18.0.10 20000 192.168.1.1 5005 1 1000");
        assertTrue(remote.startsWith("error ") && remote.contains("198.18.0.0/15"), remote);
    }

    @Test
    void malformedCommands_getAnErrorLine() {
        assertTrue(open("open hold 1").startsWith("error expected: open MODE"));
        assertTrue(open("open drop 1 198.18.0.10 20000 198.18.0.2 5005 1 1000").startsWith("error mode: drop"));
        assertTrue(open("open hold 100 198.18.0.10 65500 198.18.0.2 5005 1 1000").startsWith("error ports"));
        assertTrue(open("open hold x 198.18.0.10 20000 198.18.0.2 5005 1 1000").startsWith("error "));
    }
}
