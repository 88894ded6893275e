package io.usertcp.packetdrill;

/**
 * A script that does not parse. The message names the file, line and column, as compilers do:
 * {@code established.pkt:12:7: expected a sequence number like 1:1(0), found "win"}.
 */
public final class PacketdrillSyntaxException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String file;
    private final int line;
    private final int column;
    private final String detail;

    public PacketdrillSyntaxException(String file, int line, int column, String detail) {
        super(file + ":" + line + ":" + column + ": " + detail);
        this.file = file;
        this.line = line;
        this.column = column;
        this.detail = detail;
    }

    public String file() {
        return file;
    }

    /** 1-based line. */
    public int line() {
        return line;
    }

    /** 1-based column. */
    public int column() {
        return column;
    }

    /** The message without the location. */
    public String detail() {
        return detail;
    }
}
