package io.usertcp.packetdrill;

import java.util.List;
import java.util.stream.Collectors;

/** One TCP option in a script's {@code <...>} list. */
public sealed interface TcpOptionSpec {

    String format();

    /**
     * An option the runner parses but does not emulate: TCP Fast Open ({@code FO [cookie]}, RFC
     * 7413, option 34), its experimental form ({@code FOEXP [cookie]}, option 254 with magic
     * 0xF989) and TCP-MD5 ({@code md5 [digest]}, RFC 2385), which the runners send as written and
     * match (an expected md5 by its place, whatever its digest: PacketMatcher).
     *
     * @param name  {@code FO}, {@code FOEXP} or {@code md5}
     * @param value the cookie or digest as written (hex), empty when none
     */
    record Unemulated(String name, String value) implements TcpOptionSpec {
        public String format() {
            return value.isEmpty() ? name : name + " " + value;
        }

        /** FO or FOEXP: TCP Fast Open, which the kernel backend sends and matches as written. */
        public boolean isFastOpen() {
            return name.equals("FO") || name.equals("FOEXP");
        }

        /** md5: an RFC 2385 signature, sent as written; one expected from the stack matches any digest. */
        public boolean isMd5() {
            return name.equals("md5");
        }

        /**
         * The option on the wire: FO is kind 34 with the cookie (RFC 7413 §4.1.1); FOEXP is kind
         * 254 with the magic 0xF989 then the cookie (the experimental form Linux also sends); md5 is
         * kind 19 with its 16-byte digest as written (RFC 2385 §3.0).
         *
         * @throws IllegalArgumentException for a value that is not hex, or an md5 digest not of 16 bytes
         *                                  (none written is 16 zero bytes)
         */
        public io.usertcp.wire.TcpOption wire() {
            if (isMd5()) {
                byte[] digest = value.isEmpty() ? new byte[16] : java.util.HexFormat.of().parseHex(value);
                if (digest.length != 16) {
                    throw new IllegalArgumentException("md5 " + value + ": expected a 16-byte digest");
                }
                return new io.usertcp.wire.TcpOption.Md5Signature(digest);
            }
            byte[] cookie = java.util.HexFormat.of().parseHex(value);
            if (name.equals("FO")) {
                return new io.usertcp.wire.TcpOption.Unknown(34, cookie);
            }
            byte[] data = new byte[cookie.length + 2];
            data[0] = (byte) 0xF9;
            data[1] = (byte) 0x89;
            System.arraycopy(cookie, 0, data, 2, cookie.length);
            return new io.usertcp.wire.TcpOption.Unknown(254, data);
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
