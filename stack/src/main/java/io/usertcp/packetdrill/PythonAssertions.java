package io.usertcp.packetdrill;

import io.usertcp.tcp.TcpState;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The small part of Python that {@code %{ }%} blocks of packetdrill scripts use: statements
 * {@code assert EXPR[, MESSAGE]} (and {@code print(...)}, which does nothing here), with integer
 * expressions over names: {@code == != < <= > >=}, {@code + - * // / % & | ^ << >>}, unary
 * {@code - ~ not}, {@code and or}, parentheses, decimal and hex literals. A name's value comes from
 * a lookup (the tcpi_* fields, the TCPI_OPT_* and state constants); states are compared as states,
 * so FreeBSD's and Linux's names both work. Anything else is a {@link Unsupported} naming what.
 */
final class PythonAssertions {
    /** The block needs something this evaluator or the stack cannot give (a name, a statement). */
    static final class Unsupported extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Unsupported(String what) {
            super(what, null, false, false);
        }
    }

    /** A failed assertion: the statement and the values of the names it used. */
    record Failed(String statement, String values) {}

    /** {@code name = expr}, {@code name += expr}, {@code -=}, {@code *=} (not {@code ==}). */
    private static final java.util.regex.Pattern ASSIGNMENT =
            java.util.regex.Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)\\s*([-+*]?)=(?!=)(.*)");

    private final String text;
    private final Function<String, Object> names;
    private final List<String> used = new ArrayList<>();
    private int pos;

    private PythonAssertions(String text, Function<String, Object> names) {
        this.text = text;
        this.names = names;
    }

    /**
     * Runs the block; null when every assertion held.
     *
     * @param names a name's value: a Long, a {@link TcpState}, or null when unknown
     * @throws Unsupported when the block needs something not emulated
     */
    static Failed run(String code, Function<String, Object> lookup, java.util.function.Consumer<String> skipped) {
        return run(code, lookup, new java.util.HashMap<>(), skipped);
    }

    /**
     * As {@link #run(String, Function, java.util.function.Consumer)}, with variables that outlive the
     * block: packetdrill runs all of a script's blocks in one Python interpreter, so a name set in
     * one ({@code cwnd = 10}) is there in the next ({@code cwnd += 10}).
     */
    static Failed run(String code, Function<String, Object> lookup, Map<String, Object> locals,
                      java.util.function.Consumer<String> skipped) {
        Function<String, Object> names = n -> locals.containsKey(n) ? locals.get(n) : lookup.apply(n);
        // A backslash at the end of a line joins it to the next (Python's explicit line joining).
        for (String raw : code.replaceAll("\\\\[ \t]*(\r?\n|$)", " ").split("\n|;")) {
            String line = stripComment(raw).strip();
            if (line.isEmpty()) {
                continue;
            }
            if (line.startsWith("print(") || line.startsWith("print ")) {
                skipped.accept("%{ " + line + " }%: print has no output here");
                continue;
            }
            java.util.regex.Matcher assignment = ASSIGNMENT.matcher(line);
            if (assignment.matches() && !line.startsWith("assert ")) {
                String name = assignment.group(1);
                Object value = new PythonAssertions(assignment.group(3), names).parseAll();
                String op = assignment.group(2);
                if (!op.isEmpty()) {
                    Object old = names.apply(name);
                    if (!(old instanceof Long l) || !(value instanceof Long v)) {
                        throw new Unsupported("\"" + line + "\": " + name + " is not an integer here");
                    }
                    value = switch (op) {
                        case "+" -> l + v;
                        case "-" -> l - v;
                        default -> l * v;
                    };
                }
                locals.put(name, value);
                continue;
            }
            if (!line.startsWith("assert ")) {
                throw new Unsupported("Python statement \"" + line + "\" in %{ }% (only assert is emulated)");
            }
            String expr = topLevelBeforeComma(line.substring(7));
            PythonAssertions p = new PythonAssertions(expr, names);
            Object v = p.parseAll();
            if (!truth(v)) {
                StringBuilder values = new StringBuilder();
                for (String n : p.used) {
                    values.append(values.length() == 0 ? "" : ", ").append(n).append(" == ").append(show(names.apply(n)));
                }
                return new Failed(expr.strip(), values.toString());
            }
        }
        return null;
    }

    private static String stripComment(String line) {
        int quote = 0;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '\'' || c == '"') {
                quote = quote == 0 ? c : quote == c ? 0 : quote;
            } else if (c == '#' && quote == 0) {
                return line.substring(0, i);
            }
        }
        return line;
    }

    /** {@code assert x == 1, 'msg'}: the expression without the message. */
    private static String topLevelBeforeComma(String s) {
        int depth = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '(' || c == '[') {
                depth++;
            } else if (c == ')' || c == ']') {
                depth--;
            } else if (c == ',' && depth == 0) {
                return s.substring(0, i);
            }
        }
        return s;
    }

    private static String show(Object v) {
        return v instanceof TcpState s ? CodeAssertions.name(s) : String.valueOf(v);
    }

    private static boolean truth(Object v) {
        return v instanceof Long l ? l != 0 : v != null;
    }

    private Object parseAll() {
        Object v = or();
        skipSpace();
        if (pos < text.length()) {
            throw new Unsupported("Python expression \"" + text.strip() + "\" (at \"" + text.substring(pos).strip() + "\")");
        }
        return v;
    }

    private Object or() {
        Object v = and();
        while (word("or")) {
            Object r = and();
            v = truth(v) ? v : r;
        }
        return v;
    }

    private Object and() {
        Object v = not();
        while (word("and")) {
            Object r = not();
            v = truth(v) ? r : v;
        }
        return v;
    }

    private Object not() {
        if (word("not")) {
            return truth(not()) ? 0L : 1L;
        }
        return comparison();
    }

    private Object comparison() {
        Object left = bitOr();
        Object result = null;
        while (true) {
            String op = operator("==", "!=", "<=", ">=", "<", ">");
            if (op == null) {
                return result == null ? left : result;
            }
            Object right = bitOr();
            boolean holds = compare(left, op, right);
            result = (result == null || truth(result)) && holds ? 1L : 0L; // Python chains a < b < c
            left = right;
        }
    }

    private static boolean compare(Object a, String op, Object b) {
        if (a instanceof TcpState || b instanceof TcpState) {
            if (!op.equals("==") && !op.equals("!=")) {
                throw new Unsupported("ordering TCP states with " + op);
            }
            return a.equals(b) == op.equals("==");
        }
        long x = (Long) a;
        long y = (Long) b;
        return switch (op) {
            case "==" -> x == y;
            case "!=" -> x != y;
            case "<=" -> x <= y;
            case ">=" -> x >= y;
            case "<" -> x < y;
            default -> x > y;
        };
    }

    private Object bitOr() {
        Object v = arith(0);
        while (true) {
            String op = operator("|", "^", "&", "<<", ">>");
            if (op == null) {
                return v;
            }
            long r = num(arith(0));
            long l = num(v);
            v = switch (op) {
                case "|" -> l | r;
                case "^" -> l ^ r;
                case "&" -> l & r;
                case "<<" -> l << r;
                default -> l >> r;
            };
        }
    }

    /** level 0: + -; level 1: * // / %. */
    private Object arith(int level) {
        Object v = level == 0 ? arith(1) : unary();
        while (true) {
            String op = level == 0 ? operator("+", "-") : operator("//", "*", "/", "%");
            if (op == null) {
                return v;
            }
            long r = num(level == 0 ? arith(1) : unary());
            long l = num(v);
            if ((op.equals("//") || op.equals("/") || op.equals("%")) && r == 0) {
                throw new Unsupported("division by zero in \"" + text.strip() + "\"");
            }
            v = switch (op) {
                case "+" -> l + r;
                case "-" -> l - r;
                case "*" -> l * r;
                case "%" -> Math.floorMod(l, r);
                default -> Math.floorDiv(l, r); // "/" on ints: the scripts only divide evenly
            };
        }
    }

    private Object unary() {
        String op = operator("-", "~", "+");
        if (op != null) {
            long v = num(unary());
            return op.equals("-") ? -v : op.equals("~") ? ~v : v;
        }
        return atom();
    }

    private Object atom() {
        skipSpace();
        if (pos >= text.length()) {
            throw new Unsupported("Python expression \"" + text.strip() + "\" (ends early)");
        }
        char c = text.charAt(pos);
        if (c == '(') {
            pos++;
            Object v = or();
            if (operator(")") == null) {
                throw new Unsupported("Python expression \"" + text.strip() + "\" (missing \")\")");
            }
            return v;
        }
        int start = pos;
        if (Character.isDigit(c)) {
            while (pos < text.length() && Character.isLetterOrDigit(text.charAt(pos))) {
                pos++;
            }
            String lit = text.substring(start, pos);
            try {
                return lit.startsWith("0x") || lit.startsWith("0X") ? Long.parseLong(lit.substring(2), 16) : Long.parseLong(lit);
            } catch (NumberFormatException e) {
                throw new Unsupported("Python literal " + lit);
            }
        }
        if (Character.isLetter(c) || c == '_') {
            while (pos < text.length() && (Character.isLetterOrDigit(text.charAt(pos)) || text.charAt(pos) == '_')) {
                pos++;
            }
            String name = text.substring(start, pos);
            skipSpace();
            if (pos < text.length() && text.charAt(pos) == '(') {
                throw new Unsupported("Python call " + name + "() in %{ }%");
            }
            Object v = names.apply(name);
            if (v == null) {
                throw new Unsupported(name);
            }
            if (name.startsWith("tcpi_")) {
                used.add(name);
            }
            return v;
        }
        throw new Unsupported("Python expression \"" + text.strip() + "\" (at \"" + text.substring(pos).strip() + "\")");
    }

    private long num(Object v) {
        if (v instanceof Long l) {
            return l;
        }
        throw new Unsupported("arithmetic on a TCP state in \"" + text.strip() + "\"");
    }

    private boolean word(String w) {
        skipSpace();
        if (text.startsWith(w, pos) && (pos + w.length() == text.length() || !Character.isLetterOrDigit(text.charAt(pos + w.length())))) {
            pos += w.length();
            return true;
        }
        return false;
    }

    /** The first of {@code ops} at the current position (longest first as listed), consumed; or null. */
    private String operator(String... ops) {
        skipSpace();
        for (String op : ops) {
            if (text.startsWith(op, pos)) {
                // "<" must not eat "<<" or "<="; "*" must not eat "**" (not supported), "/" not "//"
                String rest = text.substring(pos + op.length());
                if ((op.equals("<") || op.equals(">")) && (rest.startsWith("=") || rest.startsWith(op))) {
                    continue;
                }
                if ((op.equals("*") && rest.startsWith("*")) || (op.equals("/") && rest.startsWith("/"))) {
                    continue;
                }
                pos += op.length();
                return op;
            }
        }
        return null;
    }

    private void skipSpace() {
        while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
            pos++;
        }
    }

    /** Linux's tcp_states.h numbers, for scripts that compare tcpi_state with a number. */
    static final Map<TcpState, Long> LINUX_STATE_NUMBERS = Map.ofEntries(
            Map.entry(TcpState.ESTABLISHED, 1L), Map.entry(TcpState.SYN_SENT, 2L), Map.entry(TcpState.SYN_RECEIVED, 3L),
            Map.entry(TcpState.FIN_WAIT_1, 4L), Map.entry(TcpState.FIN_WAIT_2, 5L), Map.entry(TcpState.TIME_WAIT, 6L),
            Map.entry(TcpState.CLOSED, 7L), Map.entry(TcpState.CLOSE_WAIT, 8L), Map.entry(TcpState.LAST_ACK, 9L),
            Map.entry(TcpState.LISTEN, 10L), Map.entry(TcpState.CLOSING, 11L));
}
