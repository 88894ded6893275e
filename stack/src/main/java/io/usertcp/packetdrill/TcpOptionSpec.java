package io.usertcp.packetdrill;

import java.util.List;
import java.util.stream.Collectors;

/** One TCP option in a script's {@code <...>} list. */
public sealed interface TcpOptionSpec {

    String format();

    record Nop() implements TcpOptionSpec {
        public String format() {
            return "nop";
        }
    }

    record Eol() implements TcpOptionSpec {
        public String format() {
            return "eol";
        }
    }

    record Mss(int mss) implements TcpOptionSpec {
        public String format() {
            return "mss " + mss;
        }
    }

    record WindowScale(int shift) implements TcpOptionSpec {
        public String format() {
            return "wscale " + shift;
        }
    }

    record SackPermitted() implements TcpOptionSpec {
        public String format() {
            return "sackOK";
        }
    }

    /** {@code TS val 100 ecr 0}; values are unsigned 32-bit, kept as long. */
    record Timestamps(long tsVal, long tsEcr) implements TcpOptionSpec {
        public String format() {
            return "TS val " + tsVal + " ecr " + tsEcr;
        }
    }

    /** {@code sack 1:100 200:300}: blocks as [left, right) pairs. */
    record Sack(List<long[]> blocks) implements TcpOptionSpec {
        public Sack {
            blocks = List.copyOf(blocks);
        }

        public String format() {
            return "sack " + blocks.stream().map(b -> b[0] + ":" + b[1]).collect(Collectors.joining(" "));
        }
    }
}
