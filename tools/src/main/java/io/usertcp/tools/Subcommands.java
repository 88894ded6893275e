package io.usertcp.tools;

import java.util.List;

/** The subcommands of {@code usertcp}, in the order {@code --help} lists them. */
final class Subcommands {
    private Subcommands() {}

    static List<Object> all() {
        return List.of(new DemoCommand(), new ScenarioCommand(), new ServeCommand(), new ConnectCommand(),
                new SsCommand(), new StatsCommand(), new PacketdrillCommand(), new LadderCommand());
    }
}
