package io.usertcp.packetdrill;

import java.util.HashMap;
import java.util.Map;

/**
 * Script space to live space, as packetdrill maps them. The script's remote side is us, so its
 * sequence numbers and timestamps are used as written; the stack's side is mapped: its sequence
 * numbers by the offset between the live ISN and the script's (learned from the stack's SYN or
 * SYN-ACK), its timestamp values by what each scripted {@code TS val} turned out to be live, so
 * that a scripted {@code ecr} can be sent as the live value it echoes.
 */
final class SequenceMapping {
    private static final long MOD = 1L << 32;

    private boolean isnKnown;
    private long isnOffset;
    private final Map<Long, Long> tsScriptToLive = new HashMap<>();
    private final Map<Long, Long> tsLiveToScript = new HashMap<>();
    private boolean tsKnown;
    private long tsOffset;

    /** The stack's ISN: script {@code scriptIsn} is live {@code liveIsn}. */
    void learnIsn(long scriptIsn, long liveIsn) {
        isnKnown = true;
        isnOffset = Math.floorMod(liveIsn - scriptIsn, MOD);
    }

    boolean isnKnown() {
        return isnKnown;
    }

    /** A sequence number of the stack's, live to script space. */
    long localToScript(long live) {
        return Math.floorMod(live - isnOffset, MOD);
    }

    /** A sequence number of the stack's (an ACK or SACK block we send it), script to live space. */
    long localToLive(long script) {
        return Math.floorMod(script + isnOffset, MOD);
    }

    /** The stack's timestamp clock: scripted TSval {@code script} was sent live as {@code live}. */
    void learnTsVal(long script, long live) {
        tsScriptToLive.put(script, live);
        tsLiveToScript.putIfAbsent(live, script);
        tsKnown = true;
        tsOffset = Math.floorMod(live - script, MOD);
    }

    /**
     * A scripted TSecr, in live space: the live value of that scripted TSval, or, for a value the
     * stack has not sent yet, the same offset as the latest one (both clocks count milliseconds).
     */
    long tsEcrToLive(long script) {
        if (script == 0) {
            return 0;
        }
        Long live = tsScriptToLive.get(script);
        if (live != null) {
            return live;
        }
        return tsKnown ? Math.floorMod(script + tsOffset, MOD) : script;
    }

    /** A live TSval of the stack's, in script space when known (for messages). */
    long tsValToScript(long live) {
        Long script = tsLiveToScript.get(live);
        if (script != null) {
            return script;
        }
        return tsKnown ? Math.floorMod(live - tsOffset, MOD) : live;
    }
}
