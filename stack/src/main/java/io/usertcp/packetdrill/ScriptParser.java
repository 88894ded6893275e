package io.usertcp.packetdrill;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Parses the packetdrill language as the FreeBSD RFC suite and Linux's own scripts use it:
 * {@code --option=value} header lines, events with a time (absolute, {@code +relative}, {@code *},
 * {@code a~b}, {@code start...end}) and one of: a TCP segment in ({@code <}) or out ({@code >}), a
 * system call with its expected result and errno, a backquoted shell command, a {@code %{ }%}
 * block. {@code #ifdef} sections are resolved first with the given defines; comments are dropped.
 *
 * <p>Errors are {@link PacketdrillSyntaxException}s naming the file, line and column.
 */
public final class ScriptParser {
    private final String file;
    private final String[] sourceLines;
    private final TokenCursor in;
    private final PacketParser packets;

    private ScriptParser(String file, String source, String preprocessed, Map<String, String> values) {
        this.file = file;
        this.sourceLines = source.split("\r?\n", -1);
        this.in = new TokenCursor(file, substitute(file, Lexer.tokenize(file, preprocessed), values));
        this.packets = new PacketParser(in);
    }

    /**
     * Parses a script with {@code -D NAME=VALUE} defines: every name is defined for {@code #ifdef},
     * and a word token equal to a name with a non-empty value is replaced by the value's tokens,
     * as packetdrill does (the Linux corpus: {@code -D CODE=host_unreachable}).
     */
    public static Script parse(String file, String text, Map<String, String> defines) {
        String preprocessed = Preprocessor.apply(file, text, defines.keySet());
        return new ScriptParser(file, text, preprocessed, defines).script();
    }

    private static List<Token> substitute(String file, List<Token> tokens, Map<String, String> values) {
        if (values.isEmpty()) {
            return tokens;
        }
        List<Token> out = new ArrayList<>(tokens.size());
        for (Token t : tokens) {
            String value = t.kind() == Token.Kind.WORD ? values.get(t.text()) : null;
            if (value == null || value.isEmpty()) {
                out.add(t);
                continue;
            }
            for (Token v : Lexer.tokenize(file, value)) {
                if (v.kind() != Token.Kind.NEWLINE && v.kind() != Token.Kind.EOF) {
                    out.add(new Token(v.kind(), v.text(), t.line(), t.column()));
                }
            }
        }
        return out;
    }

    /**
     * Parses a script.
     *
     * @param file    the name to use in messages (usually the path)
     * @param text    the script
     * @param defines names defined for {@code #ifdef} (for the FreeBSD suite: {@code STANDARD})
     * @throws PacketdrillSyntaxException when the script does not parse
     */
    public static Script parse(String file, String text, Set<String> defines) {
        String preprocessed = Preprocessor.apply(file, text, defines);
        return new ScriptParser(file, text, preprocessed, Map.of()).script();
    }

    private Script script() {
        Map<String, String> options = new LinkedHashMap<>();
        List<Event> events = new ArrayList<>();
        while (in.peek().kind() != Token.Kind.EOF) {
            Token t = in.peek();
            switch (t.kind()) {
                case NEWLINE -> in.skip();
                case OPTION -> {
                    in.skip();
                    option(t, options);
                    in.expectEndOfLine();
                }
                default -> events.add(event());
            }
        }
        return new Script(file, options, events);
    }

    private void option(Token t, Map<String, String> options) {
        String raw = t.text();
        int eq = raw.indexOf('=');
        String key = (eq < 0 ? raw : raw.substring(0, eq)).strip();
        if (key.isEmpty() || !key.matches("[A-Za-z0-9_]+")) {
            throw in.error(t, "expected an option like --tolerance_usecs=10000, found \"--" + raw + "\"");
        }
        options.put(key, eq < 0 ? "" : raw.substring(eq + 1).strip());
    }

    // ------------------------------------------------------------------------------------
    // Events
    // ------------------------------------------------------------------------------------

    private Event event() {
        Token first = in.peek();
        // packetdrill lets shell commands and %{ }% blocks go without a time: they run when reached.
        boolean untimed = first.kind() == Token.Kind.COMMAND || first.kind() == Token.Kind.CODE;
        EventTime time = untimed ? EventTime.any() : time();
        Token action = in.peek();
        String text = sourceText(first.line());
        Event e;
        if (action.kind() == Token.Kind.COMMAND) {
            in.skip();
            e = new Event.Command(time, first.line(), first.column(), text, action.text());
        } else if (action.kind() == Token.Kind.CODE) {
            in.skip();
            e = new Event.Code(time, first.line(), first.column(), text, action.text());
        } else if ((action.isPunct('<') || action.isPunct('>')) && in.peekAt(1).is(Token.Kind.WORD, "icmp")) {
            e = packets.icmp(time, first, text);
        } else if (action.isPunct('<') || action.isPunct('>')) {
            e = new Event.Packet(time, first.line(), first.column(), text, packets.packet());
        } else if (action.kind() == Token.Kind.WORD) {
            e = syscall(time, first, text);
        } else {
            throw in.error(action, "expected a packet (< or >), a system call, a `command` or a %{ }% block after the time, found "
                    + action.describe());
        }
        if (time.isBlocking() && !(e instanceof Event.Syscall)) {
            throw in.error(first, "only system calls can block (start...end)");
        }
        in.expectEndOfLine();
        return e;
    }

    private String sourceText(int line) {
        return line - 1 < sourceLines.length ? sourceLines[line - 1].strip() : "";
    }

    private EventTime time() {
        Token t = in.peek();
        if (t.isPunct('*')) {
            in.skip();
            return EventTime.any();
        }
        boolean relative = false;
        if (t.isPunct('+')) {
            in.skip();
            relative = true;
        }
        long start = seconds("an event time like 0.100 or +0.100 or *");
        long rangeEnd = -1;
        if (in.peek().isPunct('~')) {
            in.skip();
            if (in.peek().isPunct('+')) {
                in.skip();
            }
            rangeEnd = seconds("the end of the time range");
            if (rangeEnd < start) {
                throw in.error(in.previous(), "the time range ends before it starts");
            }
        }
        long blockingEnd = -1;
        boolean blockingRelative = false;
        if (in.peek().kind() == Token.Kind.ELLIPSIS) {
            in.skip();
            if (in.peek().isPunct('+')) {
                in.skip();
                blockingRelative = true;
            }
            blockingEnd = seconds("the time the blocking call returns, as in 1.0...2.0");
            if (!blockingRelative && !relative && blockingEnd < start) {
                throw in.error(in.previous(), "the blocking call would return before it starts");
            }
        }
        return new EventTime(relative ? EventTime.Kind.RELATIVE : EventTime.Kind.ABSOLUTE, start, rangeEnd,
                blockingEnd, blockingRelative);
    }

    /** A NUMBER token read as seconds, returned in microseconds. */
    private long seconds(String what) {
        Token t = in.expect(Token.Kind.NUMBER, what);
        if (t.text().startsWith("0x")) {
            throw in.error(t, "expected " + what + ", found " + t.describe());
        }
        return new BigDecimal(t.text()).movePointRight(6).setScale(0, java.math.RoundingMode.HALF_UP).longValueExact();
    }

    // ------------------------------------------------------------------------------------
    // System calls
    // ------------------------------------------------------------------------------------

    private Event.Syscall syscall(EventTime time, Token first, String text) {
        Token name = in.next();
        in.expectPunct('(');
        List<Expr> args = new ArrayList<>();
        if (!in.peek().isPunct(')')) {
            do {
                args.add(expression());
            } while (in.acceptPunct(','));
        }
        in.expectPunct(')');
        Token eq = in.peek();
        if (!eq.isPunct('=')) {
            throw in.error(eq, "expected \"= result\" after " + name.text() + "(...), found " + eq.describe());
        }
        in.skip();
        Expr result = expression();
        String errno = null;
        if (in.peek().kind() == Token.Kind.WORD) {
            Token e = in.next();
            if (!e.text().startsWith("E")) {
                throw in.error(e, "expected an errno name like EINPROGRESS, found " + e.describe());
            }
            errno = e.text();
        }
        if (in.peek().isPunct('(')) {
            skipNote();
        }
        return new Event.Syscall(time, first.line(), first.column(), text, name.text(), args, result, errno);
    }

    /** The human note after a result, {@code (Operation now in progress)}: not checked. */
    private void skipNote() {
        Token open = in.next();
        int depth = 1;
        while (depth > 0) {
            Token t = in.next();
            if (t.kind() == Token.Kind.EOF) {
                throw in.error(open, "( without )");
            }
            if (t.isPunct('(')) {
                depth++;
            } else if (t.isPunct(')')) {
                depth--;
            }
        }
    }

    private Expr expression() {
        Expr first = term();
        if (!in.peek().isPunct('|')) {
            return first;
        }
        List<Expr> terms = new ArrayList<>();
        terms.add(first);
        while (in.acceptPunct('|')) {
            terms.add(term());
        }
        return new Expr.Or(terms);
    }

    private Expr term() {
        Token t = in.next();
        switch (t.kind()) {
            case ELLIPSIS:
                return new Expr.Ellipsis();
            case NUMBER:
                return new Expr.Int(in.integer(t));
            case STRING:
                if (in.peek().kind() == Token.Kind.ELLIPSIS) {
                    in.skip(); // "abc"...: the bytes start with abc
                }
                return new Expr.Str(t.text());
            case WORD:
                if (in.peek().isPunct('(')) {
                    in.skip();
                    List<Expr> args = new ArrayList<>();
                    if (!in.peek().isPunct(')')) {
                        do {
                            args.add(expression());
                        } while (in.acceptPunct(','));
                    }
                    in.expectPunct(')');
                    return new Expr.Call(t.text(), args);
                }
                return new Expr.Symbol(t.text());
            default:
                break;
        }
        if (t.isPunct('-')) {
            Token n = in.expect(Token.Kind.NUMBER, "a number after -");
            return new Expr.Int(-in.integer(n));
        }
        if (t.isPunct('[')) {
            List<Expr> elements = new ArrayList<>();
            if (!in.peek().isPunct(']')) {
                do {
                    elements.add(expression());
                } while (in.acceptPunct(','));
            }
            in.expectPunct(']');
            return new Expr.Array(elements);
        }
        if (t.isPunct('{')) {
            return struct();
        }
        throw in.error(t, "expected a value (a number, a name, ..., [v] or {f=v}), found " + t.describe());
    }

    /** Whether the tokens ahead are {@code NAME ( ... ) =}. */
    private boolean sizedField() {
        int depth = 0;
        for (int i = 1; ; i++) {
            Token t = in.peekAt(i);
            if (t.kind() == Token.Kind.EOF) {
                return false;
            } else if (t.isPunct('(')) {
                depth++;
            } else if (t.isPunct(')') && --depth == 0) {
                return in.peekAt(i + 1).isPunct('=');
            }
        }
    }

    private Expr struct() {
        List<Expr.Field> fields = new ArrayList<>();
        if (!in.peek().isPunct('}')) {
            do {
                if (in.peek().kind() == Token.Kind.WORD && in.peekAt(1).isPunct('=')) {
                    String name = in.next().text();
                    in.skip();
                    fields.add(new Expr.Field(name, expression()));
                } else if (in.peek().kind() == Token.Kind.WORD && in.peekAt(1).isPunct('(') && sizedField()) {
                    // msghdr's msg_name(...)=... and msg_iov(1)=[...]: a field with its length
                    String name = in.next().text();
                    in.expectPunct('(');
                    Expr size = expression();
                    in.expectPunct(')');
                    in.expectPunct('=');
                    fields.add(new Expr.Field(name + "(" + size.format() + ")", expression()));
                } else {
                    fields.add(new Expr.Field("", expression()));
                }
            } while (in.acceptPunct(','));
        }
        in.expectPunct('}');
        return new Expr.Struct(fields);
    }
}
