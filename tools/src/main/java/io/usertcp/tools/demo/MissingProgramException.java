package io.usertcp.tools.demo;

/** A program a command needs (curl, nft, python3) is not installed; the message says how to get it, in one line. */
public final class MissingProgramException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public MissingProgramException(String message) {
        super(message);
    }
}
