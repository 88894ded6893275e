package io.usertcp.packetdrill;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits (preprocessed) script text into tokens. Comments ({@code //} to the end of the line and
 * {@code /* *}{@code /}) are dropped; newlines are kept as tokens because an event ends with its
 * line, except inside brackets, where a long argument list may wrap.
 */
final class Lexer {
    private final String file;
    private final String text;
    private final List<Token> tokens = new ArrayList<>();
    private int pos;
    private int line = 1;
    private int lineStart;
    private int depth;

    private Lexer(String file, String text) {
        this.file = file;
        this.text = text;
    }

    static List<Token> tokenize(String file, String text) {
        Lexer lexer = new Lexer(file, text);
        lexer.run();
        return lexer.tokens;
    }

    private void run() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c == '\n') {
                if (depth == 0) {
                    add(Token.Kind.NEWLINE, "\n", pos);
                }
                pos++;
                line++;
                lineStart = pos;
            } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f') {
                pos++;
            } else if (text.startsWith("//", pos)) {
                skipToEndOfLine();
            } else if (text.startsWith("/*", pos)) {
                blockComment();
            } else if (text.startsWith("--", pos) && atLineStart()) {
                option();
            } else if (text.startsWith("%{", pos)) {
                code();
            } else if (c == '`') {
                command();
            } else if (c == '"') {
                string();
            } else if (text.startsWith("...", pos)) {
                add(Token.Kind.ELLIPSIS, "...", pos);
                pos += 3;
            } else if (Character.isDigit(c) || (c == '.' && pos + 1 < text.length() && Character.isDigit(text.charAt(pos + 1)))) {
                number(); // ".1" is a time, as Linux scripts write it ("+.1")
            } else if (Character.isLetter(c) || c == '_') {
                word();
            } else {
                punct(c);
            }
        }
        add(Token.Kind.NEWLINE, "\n", pos);
        add(Token.Kind.EOF, "", pos);
    }

    private boolean atLineStart() {
        for (int i = lineStart; i < pos; i++) {
            if (!Character.isWhitespace(text.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private void skipToEndOfLine() {
        while (pos < text.length() && text.charAt(pos) != '\n') {
            pos++;
        }
    }

    private void blockComment() {
        int startLine = line;
        int startColumn = pos - lineStart + 1;
        int end = text.indexOf("*/", pos + 2);
        if (end < 0) {
            throw new PacketdrillSyntaxException(file, startLine, startColumn, "/* comment without */");
        }
        advanceOver(end + 2);
    }

    /** Moves to {@code end}, counting the newlines passed. */
    private void advanceOver(int end) {
        while (pos < end) {
            if (text.charAt(pos) == '\n') {
                line++;
                lineStart = pos + 1;
            }
            pos++;
        }
    }

    private void option() {
        int start = pos;
        skipToEndOfLine();
        String raw = text.substring(start + 2, pos);
        int comment = raw.indexOf("//");
        if (comment >= 0) {
            raw = raw.substring(0, comment);
        }
        add(Token.Kind.OPTION, raw.strip(), start);
    }

    private void code() {
        int start = pos;
        int startLine = line;
        int startLineStart = lineStart;
        int end = text.indexOf("}%", pos + 2);
        if (end < 0) {
            throw new PacketdrillSyntaxException(file, line, pos - lineStart + 1, "%{ block without }%");
        }
        String body = text.substring(start + 2, end).strip();
        advanceOver(end + 2);
        tokens.add(new Token(Token.Kind.CODE, body, startLine, start - startLineStart + 1));
    }

    /** A backquoted shell command; it may span lines (google/packetdrill allows it). */
    private void command() {
        int start = pos;
        int end = text.indexOf('`', pos + 1);
        if (end < 0) {
            throw new PacketdrillSyntaxException(file, line, pos - lineStart + 1, "` command without a closing `");
        }
        add(Token.Kind.COMMAND, text.substring(start + 1, end).strip(), start);
        advanceOver(end + 1);
    }

    private void string() {
        int start = pos;
        int end = text.indexOf('"', pos + 1);
        int newline = text.indexOf('\n', pos + 1);
        if (end < 0 || (newline >= 0 && newline < end)) {
            throw new PacketdrillSyntaxException(file, line, pos - lineStart + 1, "string without a closing \" on its line");
        }
        add(Token.Kind.STRING, text.substring(start + 1, end), start);
        pos = end + 1;
    }

    private void number() {
        int start = pos;
        if (text.startsWith("0x", pos) || text.startsWith("0X", pos)) {
            pos += 2;
            while (pos < text.length() && Character.digit(text.charAt(pos), 16) >= 0) {
                pos++;
            }
        } else {
            while (pos < text.length() && Character.isDigit(text.charAt(pos))) {
                pos++;
            }
            if (pos == start) {
                pos++; // the leading "." of ".1"
                while (pos < text.length() && Character.isDigit(text.charAt(pos))) {
                    pos++;
                }
                add(Token.Kind.NUMBER, text.substring(start, pos), start);
                return;
            }
            // A fraction, but not the start of "..." (as in "1.00...6.00" or "1...").
            if (pos + 1 < text.length() && text.charAt(pos) == '.' && Character.isDigit(text.charAt(pos + 1))) {
                pos++;
                while (pos < text.length() && Character.isDigit(text.charAt(pos))) {
                    pos++;
                }
            }
        }
        add(Token.Kind.NUMBER, text.substring(start, pos), start);
    }

    private void word() {
        int start = pos;
        while (pos < text.length() && (Character.isLetterOrDigit(text.charAt(pos)) || text.charAt(pos) == '_')) {
            pos++;
        }
        add(Token.Kind.WORD, text.substring(start, pos), start);
    }

    private void punct(char c) {
        if (c == '(' || c == '[' || c == '{') {
            depth++;
        } else if ((c == ')' || c == ']' || c == '}') && depth > 0) {
            depth--;
        }
        add(Token.Kind.PUNCT, String.valueOf(c), pos);
        pos++;
    }

    private void add(Token.Kind kind, String value, int at) {
        tokens.add(new Token(kind, value, line, at - lineStart + 1));
    }
}
