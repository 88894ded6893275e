package io.usertcp.tools.ladder;

import io.usertcp.tools.pcap.PcapReader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Ladders from captures: one per connection, in the order of each connection's first segment. */
public final class Ladders {
    private Ladders() {}

    /** Reads a pcap or pcapng file and draws every TCP connection in it, with inferred states. */
    public static List<Ladder> fromFile(Path file) throws IOException {
        return fromCapture(PcapReader.read(file));
    }

    public static List<Ladder> fromCapture(PcapReader.Capture capture) {
        return fromSegments(TcpSegment.fromCapture(capture.packets()));
    }

    /** Times are shown relative to the first segment. */
    public static List<Ladder> fromSegments(List<TcpSegment> segments) {
        long origin = segments.isEmpty() ? 0 : segments.get(0).timeNanos();
        return Conversation.split(segments).stream().map(c -> Ladder.inferred(c, origin)).toList();
    }
}
