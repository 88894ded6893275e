package io.usertcp.packetdrill;

/**
 * What a system call returned: a value, and an errno when the value is -1. {@link #BLOCKED} means
 * the call has to wait (a blocking socket): the runner calls it again as the stack moves on.
 *
 * @param detail why, for messages ("TCP_NOOPT is not supported"), or null
 */
public record SyscallResult(long value, Errno errno, String detail) {
    public static final SyscallResult BLOCKED = new SyscallResult(Long.MIN_VALUE, null, "blocked");

    public static SyscallResult ok(long value) {
        return new SyscallResult(value, null, null);
    }

    public static SyscallResult error(Errno errno) {
        return new SyscallResult(-1, errno, null);
    }

    public static SyscallResult error(Errno errno, String detail) {
        return new SyscallResult(-1, errno, detail);
    }

    public boolean isBlocked() {
        return this == BLOCKED;
    }

    /** As a script would write the result: {@code 0}, {@code -1 ECONNRESET}. */
    public String format() {
        if (isBlocked()) {
            return "(still blocked)";
        }
        return value + (errno != null ? " " + errno.name() : "") + (detail != null ? " (" + detail + ")" : "");
    }
}
