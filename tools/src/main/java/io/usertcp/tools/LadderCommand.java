package io.usertcp.tools;

import io.usertcp.tools.ladder.Ladder;
import io.usertcp.tools.ladder.LadderFormat;
import io.usertcp.tools.ladder.Ladders;
import io.usertcp.tools.pcap.PcapReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code usertcp ladder [--format text|mermaid|svg] [--output FILE] [--connection N] FILE.pcap}: every
 * TCP connection of a capture (ours or the kernel's, pcap or pcapng) as a ladder diagram with each
 * side's state beside every arrow. Needs no libpcap: the file is read in plain Java.
 */
@Command(name = "ladder", mixinStandardHelpOptions = true, version = "usertcp 0.1.0",
        description = {
            "Draws each TCP connection of a capture as a ladder diagram: one line per endpoint, one arrow per"
                    + " segment with relative sequence numbers (like tcpdump without -S), the time at the left, and"
                    + " the RFC 9293 state of each side beside every arrow, inferred from the segments.",
            "Reads pcap and pcapng files (Ethernet, raw IP, Linux cooked, loopback) as tcpdump -w, Wireshark"
                    + " and usertcp's pcap taps write them; needs no libpcap.",
            "",
            "Exit status: 0 drawn; 1 the file is not a capture or holds no TCP segment, or the output cannot"
                    + " be written; 2 usage error (bad option, missing or unreadable FILE)."},
        sortOptions = false)
public final class LadderCommand implements Callable<Integer> {

    @Option(names = {"-f", "--format"}, paramLabel = "FORMAT", defaultValue = "text", converter = FormatConverter.class,
            completionCandidates = FormatCandidates.class,
            description = "text (terminal), mermaid (a sequenceDiagram; Markdown with one per connection when there are"
                    + " several) or svg (a self-contained image). Default: ${DEFAULT-VALUE}.")
    LadderFormat format;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write the diagram to FILE instead of standard output.")
    Path output;

    @Option(names = {"-c", "--connection"}, paramLabel = "N",
            description = "Draw only the N-th connection (1 = the first to appear in the capture).")
    Integer connection;

    @Parameters(index = "0", paramLabel = "FILE.pcap", description = "The capture file.")
    Path input;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        String problem = unreadable(input);
        if (problem != null) {
            err.println("usertcp ladder: " + input + ": " + problem);
            return UsertcpMain.EXIT_USAGE;
        }
        PcapReader.Capture capture;
        try {
            capture = PcapReader.read(input);
        } catch (IOException e) {
            err.println("usertcp ladder: " + input + ": " + e.getMessage());
            return UsertcpMain.EXIT_FAILED;
        }
        if (capture.cutShort()) {
            err.println("usertcp ladder: " + input + ": the file ends in the middle of a record; drawing the "
                    + capture.packets().size() + " IPv4 packets before it");
        }
        List<Ladder> ladders = Ladders.fromCapture(capture);
        if (ladders.isEmpty()) {
            err.println("usertcp ladder: " + input + ": no TCP segment in " + capture.packets().size() + " IPv4 packets");
            return UsertcpMain.EXIT_FAILED;
        }
        if (connection != null) {
            if (connection < 1 || connection > ladders.size()) {
                err.println("usertcp ladder: --connection " + connection + ": " + input + " holds " + ladders.size()
                        + (ladders.size() == 1 ? " connection" : " connections"));
                return UsertcpMain.EXIT_USAGE;
            }
            return write(format.render(List.of(ladders.get(connection - 1)), connection, ladders.size()), err);
        }
        return write(format.render(ladders), err);
    }

    private int write(String diagram, PrintWriter err) {
        if (output == null) {
            PrintWriter out = spec.commandLine().getOut();
            out.print(diagram);
            out.flush();
            return UsertcpMain.EXIT_OK;
        }
        try {
            Files.writeString(output, diagram, StandardCharsets.UTF_8);
            return UsertcpMain.EXIT_OK;
        } catch (IOException e) {
            err.println("usertcp ladder: cannot write " + output + ": " + reason(e));
            return UsertcpMain.EXIT_FAILED;
        }
    }

    /** Why {@code file} cannot be read, or null when it can. */
    private static String unreadable(Path file) {
        if (!Files.exists(file)) {
            return "no such file";
        }
        if (Files.isDirectory(file)) {
            return "is a directory (expected a pcap or pcapng file)";
        }
        if (!Files.isReadable(file)) {
            return "permission denied";
        }
        return null;
    }

    private static String reason(IOException e) {
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "no such directory";
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        return e.getMessage();
    }

    /** {@code text}, {@code mermaid}, {@code svg}, in any case. */
    static final class FormatConverter implements CommandLine.ITypeConverter<LadderFormat> {
        @Override
        public LadderFormat convert(String value) {
            for (LadderFormat f : LadderFormat.values()) {
                if (f.cliName().equals(value.toLowerCase(Locale.ROOT))) {
                    return f;
                }
            }
            throw new CommandLine.TypeConversionException("'" + value + "' (expected: text, mermaid or svg)");
        }
    }

    static final class FormatCandidates implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            List<String> names = new ArrayList<>();
            for (LadderFormat f : LadderFormat.values()) {
                names.add(f.cliName());
            }
            return names.iterator();
        }
    }
}
