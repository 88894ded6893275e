package io.usertcp.packetdrill;

import io.usertcp.wire.TcpOption;
import java.util.ArrayList;
import java.util.List;

/** Script option lists as wire options, with the values mapped to live space. */
final class ScriptOptions {
    private ScriptOptions() {}

    /**
     * @param tsVal       the TS value to write (inbound: as scripted; outbound comparison: the live one)
     * @param mapInbound  true for inbound segments: the TS echo and SACK blocks refer to the stack's
     *                    side and are mapped to live space; false for outbound ones (they refer to
     *                    the script's remote side, used as written)
     */
    static List<TcpOption> toWire(List<TcpOptionSpec> spec, long tsVal, boolean mapInbound, SequenceMapping map) {
        List<TcpOption> out = new ArrayList<>(spec.size());
        for (TcpOptionSpec o : spec) {
            out.add(toWire(o, tsVal, mapInbound, map));
        }
        return out;
    }

    private static TcpOption toWire(TcpOptionSpec o, long tsVal, boolean mapInbound, SequenceMapping map) {
        if (o instanceof TcpOptionSpec.Nop) {
            return new TcpOption.Nop();
        } else if (o instanceof TcpOptionSpec.Eol) {
            return new TcpOption.Eol();
        } else if (o instanceof TcpOptionSpec.Mss m) {
            return new TcpOption.Mss(m.mss());
        } else if (o instanceof TcpOptionSpec.WindowScale w) {
            return new TcpOption.WindowScale(w.shift());
        } else if (o instanceof TcpOptionSpec.SackPermitted) {
            return new TcpOption.SackPermitted();
        } else if (o instanceof TcpOptionSpec.Timestamps t) {
            return new TcpOption.Timestamps((int) tsVal, (int) (mapInbound ? map.tsEcrToLive(t.tsEcr()) : t.tsEcr()));
        } else if (o instanceof TcpOptionSpec.Unemulated u) {
            return u.wire(); // FO/FOEXP, and md5 in a segment the script sends (Unemulated.check)
        }
        TcpOptionSpec.Sack s = (TcpOptionSpec.Sack) o;
        List<TcpOption.SackBlock> blocks = new ArrayList<>();
        for (long[] b : s.blocks()) {
            blocks.add(mapInbound
                    ? new TcpOption.SackBlock((int) map.localToLive(b[0]), (int) map.localToLive(b[1]))
                    : new TcpOption.SackBlock((int) b[0], (int) b[1]));
        }
        return new TcpOption.Sack(blocks);
    }

    /** The scripted TS value of a list, or 0. */
    static long tsVal(List<TcpOptionSpec> spec) {
        for (TcpOptionSpec o : spec) {
            if (o instanceof TcpOptionSpec.Timestamps t) {
                return t.tsVal();
            }
        }
        return 0;
    }
}
