package io.usertcp.packetdrill;

/** A lexical token of a script, with its 1-based position. */
record Token(Kind kind, String text, int line, int column) {

    enum Kind {
        /** Decimal ({@code 0.10}, {@code 65535}) or hexadecimal ({@code 0x02}); no sign. */
        NUMBER,
        /** {@code [A-Za-z_][A-Za-z0-9_]*} */
        WORD,
        /** Any other single character: {@code < > ( ) [ ] { } , : = | + - * . ~} ... */
        PUNCT,
        ELLIPSIS,
        /** A double-quoted string; {@code text} is the content. */
        STRING,
        /** A backquoted shell command; {@code text} is the command. */
        COMMAND,
        /** A {@code %{ ... }%} block; {@code text} is the content. */
        CODE,
        /** A {@code --name=value} header line; {@code text} is {@code name=value}. */
        OPTION,
        NEWLINE,
        EOF
    }

    boolean is(Kind k, String t) {
        return kind == k && text.equals(t);
    }

    boolean isPunct(char c) {
        return kind == Kind.PUNCT && text.length() == 1 && text.charAt(0) == c;
    }

    String describe() {
        return switch (kind) {
            case NEWLINE -> "the end of the line";
            case EOF -> "the end of the script";
            case COMMAND -> "a `command`";
            case CODE -> "a %{ }% block";
            case STRING -> "\"" + text + "\"";
            default -> "\"" + text + "\"";
        };
    }
}
