package io.usertcp.packetdrill;

import java.util.List;
import java.util.stream.Collectors;

/** One TCP option in a script's {@code <...>} list. */
public sealed interface TcpOptionSpec {

    String format();

    /**
     * An option the runner parses but does not emulate: TCP Fast Open ({@code FO [cookie]}, RFC
     * 7413, option 34), its experimental form ({@code FOEXP [cookie]}, option 254 with magic
     * 0xF989) and TCP-MD5 ({@code md5 [digest]}, RFC 2385). A packet that carries one makes the
     * script report {@code unsupported}.
     *
     * @param name  {@code FO}, {@code FOEXP} or {@code md5}
     * @param value the cookie or digest as written (hex), empty when none
     */
    record Unemulated(String name, String value) implements TcpOptionSpec {
        public String format() {
            return value.isEmpty() ? name : name + " " + value;
        }

        /** What a script that uses it needs, for {@code unsupported: ...}. */
        public String feature() {
            return switch (name) {
                case "md5" -> "TCP-MD5 signature option (RFC 2385, md5)";
                case "FOEXP" -> "TCP Fast Open (experimental option FOEXP)";
                default -> "TCP Fast Open (RFC 7413 option FO)";
            };
        }
    }

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
