package io.usertcp.packetdrill;

import java.util.Set;

/**
 * Plays packetdrill scripts against a fresh {@link io.usertcp.tcp.TcpStack} on virtual time.
 *
 * <pre>
 *   RunResult r = ScriptRunner.run("established.pkt", text, Set.of("STANDARD"), RunOptions.of(TcpProfile.rfc()));
 *   if (!r.passed()) System.out.println(r.failure().format());
 * </pre>
 *
 * Each run builds its own stack (at 198.18.0.1; the script's remote side is 198.18.0.2, both in
 * the range set aside for benchmarking) and releases it at the end. Runs are deterministic: the
 * same script and options give the same result.
 */
public final class ScriptRunner {
    private ScriptRunner() {}

    /** Runs a parsed script. */
    public static RunResult run(Script script, RunOptions options) {
        return new Interpreter(script, options).run();
    }

    /**
     * Parses and runs script text; a syntax error becomes a failed result naming the line.
     *
     * @param defines names for {@code #ifdef} (the FreeBSD suite: {@code STANDARD})
     */
    public static RunResult run(String name, String text, Set<String> defines, RunOptions options) {
        java.util.Map<String, String> map = new java.util.LinkedHashMap<>();
        defines.forEach(d -> map.put(d, ""));
        return run(name, text, map, options);
    }

    /**
     * Parses and runs script text with {@code -D NAME=VALUE} defines (an empty value only defines
     * the name for {@code #ifdef}); a syntax error becomes a failed result naming the line.
     */
    public static RunResult run(String name, String text, java.util.Map<String, String> defines, RunOptions options) {
        return run(name, text, defines, java.util.Map.of(), options);
    }

    /**
     * As {@link #run(String, String, java.util.Map, RunOptions)}, with packetdrill command-line flags
     * ({@code tolerance_usecs=20000}, {@code ip_version=ipv4}...) that apply as if the script's
     * header had them first: the script's own {@code --name=value} lines win, as in packetdrill.
     */
    public static RunResult run(String name, String text, java.util.Map<String, String> defines,
                                java.util.Map<String, String> flags, RunOptions options) {
        return parseAndRun(name, text, withFastOpenCookie(defines, text), flags, script -> run(script, options));
    }

    /**
     * The defines with {@code TFO_COOKIE} added when the script uses it and none was given: the
     * kernel selftests define it as the server cookie of packetdrill's addresses (192.0.2.1 to
     * 192.168.0.1) under the key defaults.sh sets.
     */
    public static java.util.Map<String, String> withFastOpenCookie(java.util.Map<String, String> defines, String text) {
        if (defines.containsKey("TFO_COOKIE") || !text.contains("TFO_COOKIE")) {
            return defines;
        }
        java.util.Map<String, String> all = new java.util.LinkedHashMap<>(defines);
        all.put("TFO_COOKIE", defaultFastOpenCookie());
        return all;
    }

    /** The selftests' TFO_COOKIE: 3021b9d889017eeb. */
    public static String defaultFastOpenCookie() {
        String key = ShellCommands.LINUX_DEFAULTS.stream().filter(s -> s[0].equals("net.ipv4.tcp_fastopen_key"))
                .map(s -> s[1]).findFirst().orElseThrow();
        return java.util.HexFormat.of().formatHex(io.usertcp.tcp.FastOpen.cookie(key,
                io.usertcp.wire.Ipv4Address.parse("192.0.2.1"), io.usertcp.wire.Ipv4Address.parse("192.168.0.1")));
    }

    /**
     * Parses script text with defines and command-line flags (as {@link #run(String, String, java.util.Map,
     * java.util.Map, RunOptions)} does) and hands the script to {@code play}, another runner (the
     * kernel backend's); a syntax error becomes a failed result naming the line.
     */
    public static RunResult parseAndRun(String name, String text, java.util.Map<String, String> defines,
                                        java.util.Map<String, String> flags,
                                        java.util.function.Function<Script, RunResult> play) {
        Script script;
        try {
            script = ScriptParser.parse(name, text, defines);
        } catch (PacketdrillSyntaxException e) {
            return new RunResult(name, new RunResult.Failure(e.line(), null, "syntax error: " + e.getMessage(), null, null),
                    java.util.List.of(), java.util.List.of());
        }
        if (!flags.isEmpty()) {
            java.util.Map<String, String> merged = new java.util.LinkedHashMap<>(flags);
            merged.putAll(script.options());
            script = new Script(script.name(), merged, script.events());
        }
        return play.apply(script);
    }
}
