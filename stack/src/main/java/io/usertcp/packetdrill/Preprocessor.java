package io.usertcp.packetdrill;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Set;

/**
 * Applies {@code #ifdef NAME}, {@code #ifndef NAME}, {@code #else} and {@code #endif} with a set of
 * defined names, as the C preprocessor packetdrill runs scripts through would. Directive lines and
 * lines of inactive branches become empty lines, so line numbers stay those of the file.
 */
final class Preprocessor {
    private Preprocessor() {}

    /** One open {@code #ifdef}: where it was, whether its branch is taken, whether {@code #else} was seen. */
    private record Frame(int line, boolean parentActive, boolean condition, boolean inElse) {
        boolean active() {
            return parentActive && (inElse ? !condition : condition);
        }
    }

    /**
     * @throws PacketdrillSyntaxException for an unknown directive, a directive without a name, an
     *                                    {@code #else} or {@code #endif} without {@code #ifdef}, or an
     *                                    {@code #ifdef} left open
     */
    static String apply(String file, String text, Set<String> defines) {
        String[] lines = text.split("\r?\n", -1);
        StringBuilder out = new StringBuilder(text.length());
        Deque<Frame> stack = new ArrayDeque<>();
        boolean inCommand = false; // inside a backquoted command that spans lines: "#" starts a shell comment there
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            String trimmed = line.strip();
            boolean active = stack.isEmpty() || stack.peek().active();
            boolean commandLine = inCommand;
            if (!trimmed.startsWith("//")) {
                String code = line.contains("//") && !inCommand ? line.substring(0, line.indexOf("//")) : line;
                inCommand ^= code.chars().filter(c -> c == '`').count() % 2 == 1;
            }
            if (trimmed.startsWith("#") && !commandLine) {
                directive(file, i + 1, line, trimmed, defines, stack, active);
                line = "";
            } else if (!active) {
                line = "";
            }
            out.append(line);
            if (i < lines.length - 1) {
                out.append('\n');
            }
        }
        if (!stack.isEmpty()) {
            throw new PacketdrillSyntaxException(file, stack.peek().line(), 1, "#ifdef without #endif");
        }
        return out.toString();
    }

    private static void directive(String file, int lineNo, String line, String trimmed, Set<String> defines,
                                  Deque<Frame> stack, boolean active) {
        int column = line.indexOf('#') + 1;
        String[] words = trimmed.substring(1).strip().split("\\s+");
        String keyword = words[0];
        switch (keyword) {
            case "ifdef", "ifndef" -> {
                if (words.length < 2 || words[1].startsWith("//")) {
                    throw new PacketdrillSyntaxException(file, lineNo, column, "#" + keyword + " needs a name");
                }
                boolean defined = defines.contains(words[1]);
                stack.push(new Frame(lineNo, active, keyword.equals("ifdef") == defined, false));
            }
            case "else" -> {
                Frame top = stack.poll();
                if (top == null || top.inElse()) {
                    throw new PacketdrillSyntaxException(file, lineNo, column,
                            top == null ? "#else without #ifdef" : "a second #else for the #ifdef of line " + top.line());
                }
                stack.push(new Frame(top.line(), top.parentActive(), top.condition(), true));
            }
            case "endif" -> {
                if (stack.poll() == null) {
                    throw new PacketdrillSyntaxException(file, lineNo, column, "#endif without #ifdef");
                }
            }
            default -> throw new PacketdrillSyntaxException(file, lineNo, column,
                    "unknown directive #" + keyword + " (expected: #ifdef, #ifndef, #else, #endif)");
        }
    }
}
