package io.usertcp.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

/** The exact leak check the state-machine fuzz target runs after each input. */
class ByteBufLedgerTest {
    private final ByteBufLedger ledger = new ByteBufLedger(PooledByteBufAllocator.DEFAULT);

    @Test
    void everyBufferReleased_passes() {
        ledger.buffer(64).release();
        ledger.directBuffer(64).release();
        ledger.heapBuffer(64).release();
        ledger.compositeBuffer().release();
        assertEquals(4, ledger.recorded());
        ledger.assertAllReleased();
        assertEquals(0, ledger.recorded());
    }

    @Test
    void anUnreleasedBuffer_fails_withItsPlace() {
        ledger.buffer(64).release();
        ByteBuf kept = ledger.ioBuffer(32);
        AssertionError error = assertThrows(AssertionError.class, ledger::assertAllReleased);
        assertTrue(error.getMessage().startsWith("1 ByteBuf(s) not released"), error.getMessage());
        assertTrue(error.getMessage().contains("#1 of 2"), error.getMessage());
        kept.release();
    }

    @Test
    void aRetainedSliceStillHeld_fails_evenOfAnUntrackedHeapBuffer() {
        ByteBuf data = ledger.record(Unpooled.wrappedBuffer(new byte[100])); // Netty's detector never tracks these
        ByteBuf slice = data.readRetainedSlice(10); // what SEND keeps until acknowledged
        data.release();
        assertThrows(AssertionError.class, ledger::assertAllReleased);
        slice.release();
        ledger.record(data);
        ledger.assertAllReleased();
    }

    @Test
    void aRecycledPooledBuffer_isJudgedByItsLatestAllocation() {
        ByteBuf first = ledger.buffer(64);
        first.release();
        ByteBuf second = ledger.buffer(64); // the pool may hand out the same object again
        assertThrows(AssertionError.class, ledger::assertAllReleased);
        ledger.record(first);
        ledger.record(second);
        second.release();
        ledger.assertAllReleased();
    }
}
