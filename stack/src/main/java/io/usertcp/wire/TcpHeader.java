package io.usertcp.wire;

/**
 * What a TCP header says (RFC 9293 §3.1), as an immutable value. The payload is not part of it: it
 * travels beside the header as a borrowed slice.
 *
 * @param sourcePort      source port
 * @param destinationPort destination port
 * @param seq             sequence number (unsigned 32-bit in an int; compare with {@link SeqNum})
 * @param ack             acknowledgment number
 * @param reserved        the 4 reserved bits, kept so that parse then emit is exact
 * @param flags           control bits, {@link TcpFlags} constants
 * @param window          window field, unscaled
 * @param checksum        checksum as received; {@link TcpSegmentView#fillChecksum} computes a fresh one
 * @param urgentPointer   urgent pointer
 * @param options         options in wire order
 */
public record TcpHeader(int sourcePort, int destinationPort, int seq, int ack, int reserved, int flags,
                        int window, int checksum, int urgentPointer, TcpOptions options) {

    public TcpHeader {
        Fields.checkUnsigned("sourcePort", sourcePort, 16);
        Fields.checkUnsigned("destinationPort", destinationPort, 16);
        Fields.checkUnsigned("reserved", reserved, 4);
        Fields.checkUnsigned("flags", flags, 8);
        Fields.checkUnsigned("window", window, 16);
        Fields.checkUnsigned("checksum", checksum, 16);
        Fields.checkUnsigned("urgentPointer", urgentPointer, 16);
        if (options == null) {
            options = TcpOptions.NONE;
        }
    }

    /** A header with the common fields; checksum and urgent pointer zero. */
    public static TcpHeader of(int sourcePort, int destinationPort, int seq, int ack, int flags, int window, TcpOptions options) {
        return new TcpHeader(sourcePort, destinationPort, seq, ack, 0, flags, window, 0, 0, options);
    }

    /** Reads the header of a segment whose view passed {@link TcpSegmentView#check()}. */
    public static TcpHeader parse(TcpSegmentView view) {
        return new TcpHeader(view.sourcePort(), view.destinationPort(), view.seq(), view.ack(), view.reserved(),
                view.flags(), view.window(), view.checksum(), view.urgentPointer(), TcpOptions.parse(view));
    }

    /**
     * Writes the header (options included) at the view's offset, with the checksum field zero: fill
     * it with {@link TcpSegmentView#fillChecksum} once the payload is in place. The view must cover
     * at least {@link #headerLength()} writable bytes.
     *
     * @return the header length written
     */
    public int emit(TcpSegmentView view) {
        int headerLength = headerLength();
        if (view.length() < headerLength) {
            throw new IllegalArgumentException("view: " + view.length() + " bytes (expected: at least " + headerLength + ")");
        }
        view.setSourcePort(sourcePort);
        view.setDestinationPort(destinationPort);
        view.setSeq(seq);
        view.setAck(ack);
        view.setHeaderLength(headerLength, reserved);
        view.setFlags(flags);
        view.setWindow(window);
        view.setChecksum(0);
        view.setUrgentPointer(urgentPointer);
        options.writeTo(view.buffer(), view.optionsOffset());
        return headerLength;
    }

    public int headerLength() {
        return TcpSegmentView.MIN_HEADER_LENGTH + options.areaLength();
    }

    public boolean hasFlag(int flag) {
        return (flags & flag) == flag;
    }

    @Override
    public String toString() {
        return "TcpHeader[" + sourcePort + " > " + destinationPort + " " + TcpFlags.format(flags)
                + " seq " + SeqNum.unsigned(seq) + " ack " + SeqNum.unsigned(ack) + " win " + window
                + (urgentPointer != 0 ? " urg " + urgentPointer : "")
                + " options " + options.format() + "]";
    }
}
