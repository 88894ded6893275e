package io.usertcp.wire;

import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The options of a TCP header as a value: the options in wire order, and the size of the options
 * area (a multiple of 4; what follows the last option is zero padding). Keeping the order and the
 * area size means {@code parse} then {@code emit} reproduces the original bytes.
 *
 * @param list        options in wire order, NOPs and EOL included
 * @param areaLength  bytes of option space in the header, a multiple of 4, at most 40
 */
public record TcpOptions(List<TcpOption> list, int areaLength) {
    public static final TcpOptions NONE = new TcpOptions(List.of(), 0);

    public TcpOptions {
        list = List.copyOf(list);
        int encoded = encodedLength(list);
        if (areaLength % 4 != 0 || areaLength > TcpOptionKind.MAX_OPTIONS_LENGTH || areaLength < encoded) {
            throw new IllegalArgumentException("areaLength: " + areaLength + " (expected: a multiple of 4 in "
                    + encoded + ".." + TcpOptionKind.MAX_OPTIONS_LENGTH + " for " + encoded + " option bytes)");
        }
    }

    /** Options in the given order, padded with zeros to the next multiple of 4. */
    public static TcpOptions of(TcpOption... options) {
        List<TcpOption> list = List.of(options);
        return new TcpOptions(list, (encodedLength(list) + 3) & ~3);
    }

    /**
     * Reads the options of a segment whose view passed {@link TcpSegmentView#check()}.
     * Allocates; the stack's hot path uses {@link TcpSegmentView#options()} instead.
     */
    public static TcpOptions parse(TcpSegmentView view) {
        List<TcpOption> list = new ArrayList<>();
        TcpOptionSink collector = new Collector(list);
        DropReason reason = TcpOptionParser.parse(view.buffer(), view.optionsOffset(),
                view.optionsOffset() + view.optionsLength(), collector);
        if (reason != null) {
            throw new IllegalArgumentException("options do not parse (" + reason + "): call check() before parse()");
        }
        return new TcpOptions(list, view.optionsLength());
    }

    /** Writes the options and zero padding at {@code at}; returns {@link #areaLength()}. @param buf borrowed, written */
    public int writeTo(ByteBuf buf, int at) {
        int p = at;
        for (TcpOption option : list) {
            p += option.writeTo(buf, p);
        }
        buf.setZero(p, at + areaLength - p);
        return areaLength;
    }

    public OptionalInt mss() {
        return last(TcpOption.Mss.class).map(o -> OptionalInt.of(o.mss())).orElse(OptionalInt.empty());
    }

    public OptionalInt windowScale() {
        return last(TcpOption.WindowScale.class).map(o -> OptionalInt.of(o.shift())).orElse(OptionalInt.empty());
    }

    public boolean sackPermitted() {
        return last(TcpOption.SackPermitted.class).isPresent();
    }

    public Optional<TcpOption.Timestamps> timestamps() {
        return last(TcpOption.Timestamps.class);
    }

    public Optional<TcpOption.Sack> sack() {
        return last(TcpOption.Sack.class);
    }

    public Optional<TcpOption.Md5Signature> md5Signature() {
        return last(TcpOption.Md5Signature.class);
    }

    /** The last option of a type: duplicates resolve as in {@link ParsedTcpOptions}. */
    private <T extends TcpOption> Optional<T> last(Class<T> type) {
        for (int i = list.size() - 1; i >= 0; i--) {
            if (type.isInstance(list.get(i))) {
                return Optional.of(type.cast(list.get(i)));
            }
        }
        return Optional.empty();
    }

    /** tcpdump's notation, e.g. {@code [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7]}. */
    public String format() {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < list.size(); i++) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append(list.get(i).format());
        }
        return sb.append(']').toString();
    }

    private static int encodedLength(List<TcpOption> list) {
        int n = 0;
        for (TcpOption option : list) {
            n += option.encodedLength();
        }
        return n;
    }

    /** Builds the value list; SACK blocks of one option are gathered into one {@link TcpOption.Sack}. */
    private static final class Collector implements TcpOptionSink {
        private final List<TcpOption> list;
        private List<TcpOption.SackBlock> sackBlocks;

        Collector(List<TcpOption> list) {
            this.list = list;
        }

        @Override
        public void onEol(int offset) {
            list.add(new TcpOption.Eol());
        }

        @Override
        public void onNop() {
            list.add(new TcpOption.Nop());
        }

        @Override
        public void onMss(int mss) {
            list.add(new TcpOption.Mss(mss));
        }

        @Override
        public void onWindowScale(int shift) {
            list.add(new TcpOption.WindowScale(shift));
        }

        @Override
        public void onSackPermitted() {
            list.add(new TcpOption.SackPermitted());
        }

        @Override
        public void onSackBlock(int index, int left, int right) {
            if (index == 0) {
                sackBlocks = new ArrayList<>();
                list.add(null); // placeholder, replaced as blocks arrive
            }
            sackBlocks.add(new TcpOption.SackBlock(left, right));
            list.set(list.size() - 1, new TcpOption.Sack(sackBlocks));
        }

        @Override
        public void onTimestamps(int tsVal, int tsEcr) {
            list.add(new TcpOption.Timestamps(tsVal, tsEcr));
        }

        @Override
        public void onMd5Signature(ByteBuf buf, int digestOffset) {
            byte[] digest = new byte[TcpOptionKind.MD5_DIGEST_LENGTH];
            buf.getBytes(digestOffset, digest);
            list.add(new TcpOption.Md5Signature(digest));
        }

        @Override
        public void onUnknown(int kind, ByteBuf buf, int dataOffset, int dataLength) {
            byte[] data = new byte[dataLength];
            buf.getBytes(dataOffset, data);
            list.add(new TcpOption.Unknown(kind, data));
        }
    }
}
