package io.usertcp.packetdrill;

import java.util.List;

/** Reading a script's tokens one by one, with the checks and messages the parser needs. */
final class TokenCursor {
    private final String file;
    private final List<Token> tokens;
    private int next;

    TokenCursor(String file, List<Token> tokens) {
        this.file = file;
        this.tokens = tokens;
    }

    Token peek() {
        return tokens.get(next);
    }

    Token peekAt(int ahead) {
        return tokens.get(Math.min(next + ahead, tokens.size() - 1));
    }

    Token previous() {
        return tokens.get(next - 1);
    }

    /** Consumes the current token (never past the end). */
    Token next() {
        Token t = tokens.get(next);
        if (t.kind() != Token.Kind.EOF) {
            next++;
        }
        return t;
    }

    void skip() {
        next();
    }

    Token expect(Token.Kind kind, String what) {
        Token t = peek();
        if (t.kind() != kind) {
            throw error(t, "expected " + what + ", found " + t.describe());
        }
        return next();
    }

    void expectPunct(char c) {
        Token t = peek();
        if (!t.isPunct(c)) {
            throw error(t, "expected \"" + c + "\", found " + t.describe());
        }
        next();
    }

    void expectWord(String word) {
        Token t = peek();
        if (!t.is(Token.Kind.WORD, word)) {
            throw error(t, "expected \"" + word + "\", found " + t.describe());
        }
        next();
    }

    boolean acceptPunct(char c) {
        if (peek().isPunct(c)) {
            next();
            return true;
        }
        return false;
    }

    void expectEndOfLine() {
        Token t = peek();
        if (t.kind() != Token.Kind.NEWLINE && t.kind() != Token.Kind.EOF) {
            throw error(t, "expected the end of the line, found " + t.describe());
        }
        next();
    }

    /** An unsigned 32-bit number (sequence numbers, timestamps). */
    long unsigned32(String what) {
        return bounded(what, 0xFFFF_FFFFL);
    }

    long bounded(String what, long max) {
        Token t = expect(Token.Kind.NUMBER, what);
        long v = integer(t);
        if (v < 0 || v > max) {
            throw error(t, "value " + v + " out of range (expected: 0.." + max + ")");
        }
        return v;
    }

    /** A NUMBER token as an integer: decimal or 0x hexadecimal. */
    long integer(Token t) {
        String s = t.text();
        try {
            if (s.startsWith("0x") || s.startsWith("0X")) {
                return Long.parseLong(s.substring(2), 16);
            }
            if (s.contains(".")) {
                throw error(t, "expected an integer, found " + t.describe());
            }
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw error(t, "number out of range: " + s);
        }
    }

    PacketdrillSyntaxException error(Token t, String message) {
        return new PacketdrillSyntaxException(file, t.line(), t.column(), message);
    }
}
