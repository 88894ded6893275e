package io.usertcp.apps;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.security.MessageDigest;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class GeneratedBytesTest {

    @Test
    void firstWord_isSplitMix64sFirstOutputForSeedZero_littleEndian() {
        // SplitMix64 seeded with 0 first yields 0xE220A8397B1DCDAF (Steele, Lea, Flood 2014; reference C code).
        byte[] first = new byte[8];
        GeneratedBytes.fill(0, first, 0, 8);
        assertArrayEquals(new byte[] {(byte) 0xAF, (byte) 0xCD, 0x1D, 0x7B, 0x39, (byte) 0xA8, 0x20, (byte) 0xE2}, first);
    }

    @Test
    void fill_atAnyOffsetAndLength_agreesWithAt() {
        SplittableRandom random = new SplittableRandom(7);
        for (int trial = 0; trial < 500; trial++) {
            long position = random.nextLong(1L << 40);
            int length = random.nextInt(40);
            int offset = random.nextInt(5);
            byte[] dst = new byte[offset + length + 3];
            GeneratedBytes.fill(position, dst, offset, length);
            for (int i = 0; i < length; i++) {
                assertEquals(GeneratedBytes.at(position + i), dst[offset + i], "position " + (position + i));
            }
            assertEquals(0, dst[offset + length], "fill wrote past its range");
        }
    }

    @Test
    void sha256_equalsDigestOfFilledChunks() {
        int length = 200_003;
        byte[] all = new byte[length];
        for (int done = 0; done < length; done += 997) {
            GeneratedBytes.fill(done, all, done, Math.min(997, length - done));
        }
        MessageDigest digest = GeneratedBytes.newSha256();
        assertArrayEquals(digest.digest(all), GeneratedBytes.sha256(length));
        assertNotEquals(all[0], all[1], "not a constant stream");
    }
}
