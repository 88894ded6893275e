package io.usertcp.tools;

import java.util.List;

/**
 * The subcommands of {@code usertcp}, in the order {@code --help} lists them. A new command is one
 * more line here.
 */
final class Subcommands {
    private Subcommands() {}

    static List<Object> all() {
        return List.of(
                new DemoCommand(),
                new ScenarioCommand(),
                new ServeCommand(),
                new ConnectCommand(),
                new SsCommand(),
                new StatsCommand(),
                new CaptureCommand(),
                new PacketdrillCommand(),
                new LadderCommand(),
                new BenchCommand());
    }
}
