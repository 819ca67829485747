package dev.pagealloc.jit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.pagealloc.jit.Arm64Mte.Indexing;
import org.junit.jupiter.api.Test;

/**
 * The MTE encoder bit for bit against the Arm ARM's encodings, as LLVM's assembler emits them
 * ({@code llvm/test/MC/AArch64/armv8.5a-mte.s}: the byte lists there, read as little-endian words).
 */
class Arm64MteTest {

    @Test
    void shouldEncodeIrgAsTheArmArm() {
        assertEquals(0x9ADF1020, Arm64Mte.irg(0, 1, Arm64Mte.XZR)); // irg x0, x1
        assertEquals(0x9ADF103F, Arm64Mte.irg(31, 1, Arm64Mte.XZR)); // irg sp, x1
        assertEquals(0x9ADF13E0, Arm64Mte.irg(0, 31, Arm64Mte.XZR)); // irg x0, sp
        assertEquals(0x9AC21020, Arm64Mte.irg(0, 1, 2)); // irg x0, x1, x2
        assertEquals(0x9AC2103F, Arm64Mte.irg(31, 1, 2)); // irg sp, x1, x2
    }

    @Test
    void shouldEncodeLdgAsTheArmArm() {
        assertEquals(0xD9600020, Arm64Mte.ldg(0, 1, 0)); // ldg x0, [x1]
        assertEquals(0xD97003E2, Arm64Mte.ldg(2, 31, -4096)); // ldg x2, [sp, #-4096]
        assertEquals(0xD96FF083, Arm64Mte.ldg(3, 4, 4080)); // ldg x3, [x4, #4080]
    }

    @Test
    void shouldEncodeStgInEveryIndexingAsTheArmArm() {
        assertEquals(0xD9200820, Arm64Mte.stg(0, 1, 0, Indexing.SIGNED_OFFSET)); // stg x0, [x1]
        assertEquals(0xD9300821, Arm64Mte.stg(1, 1, -4096, Indexing.SIGNED_OFFSET));
        assertEquals(0xD92FF842, Arm64Mte.stg(2, 2, 4080, Indexing.SIGNED_OFFSET));
        assertEquals(0xD9201BE3, Arm64Mte.stg(3, 31, 16, Indexing.SIGNED_OFFSET));
        assertEquals(0xD9300C20, Arm64Mte.stg(0, 1, -4096, Indexing.PRE_INDEX)); // stg x0, [x1, #-4096]!
        assertEquals(0xD9201FFF, Arm64Mte.stg(31, 31, 16, Indexing.PRE_INDEX)); // stg sp, [sp, #16]!
        assertEquals(0xD9300420, Arm64Mte.stg(0, 1, -4096, Indexing.POST_INDEX)); // stg x0, [x1], #-4096
        assertEquals(0xD92017E2, Arm64Mte.stg(2, 31, 16, Indexing.POST_INDEX)); // stg x2, [sp], #16
    }

    @Test
    void shouldEncodeSt2gInEveryIndexingAsTheArmArm() {
        assertEquals(0xD9A00820, Arm64Mte.st2g(0, 1, 0, Indexing.SIGNED_OFFSET)); // st2g x0, [x1]
        assertEquals(0xD9AFF842, Arm64Mte.st2g(2, 2, 4080, Indexing.SIGNED_OFFSET));
        assertEquals(0xD9AFFC41, Arm64Mte.st2g(1, 2, 4080, Indexing.PRE_INDEX)); // st2g x1, [x2, #4080]!
        assertEquals(0xD9AFF441, Arm64Mte.st2g(1, 2, 4080, Indexing.POST_INDEX)); // st2g x1, [x2], #4080
        assertEquals(0xD9A017FF, Arm64Mte.st2g(31, 31, 16, Indexing.POST_INDEX)); // st2g sp, [sp], #16
    }

    @Test
    void shouldAssembleTheStubsWordForWord() {
        // stg x0, [x0], #16 = 0xD9201400; st2g x0, [x0], #32 = 0xD9A02400; subs x1, x1, #16 = 0xF1004021;
        // b.ne -8 bytes = 0x54FFFFC1; ret = 0xD65F03C0; irg x0, x0, x1 = 0x9AC11000 (Arm ARM C6.2).
        assertArrayEquals(Arm64Mte.code(0xD9201400, 0xF1004021, 0x54FFFFC1, 0xD65F03C0), Arm64Mte.stgRangeStub());
        assertArrayEquals(Arm64Mte.code(0xD9A02400, 0xF1008021, 0x54FFFFC1, 0xD65F03C0), Arm64Mte.st2gRangeStub());
        assertArrayEquals(Arm64Mte.code(0x9AC11000, 0xD65F03C0), Arm64Mte.irgStub());
        assertArrayEquals(Arm64Mte.code(0xD9600000, 0xD65F03C0), Arm64Mte.ldgStub());
        assertArrayEquals(new byte[] {0x20, 0x10, (byte) 0xC2, (byte) 0x9A}, Arm64Mte.code(Arm64Mte.irg(0, 1, 2)),
                "little-endian, as the manual's byte lists");
    }

    @Test
    void shouldRefuseWhatTheInstructionsCannotEncode() {
        assertEquals("byteOffset=8: tag instructions take a multiple of 16 in [-4096, 4080]",
                assertThrows(IllegalArgumentException.class,
                        () -> Arm64Mte.stg(0, 0, 8, Indexing.SIGNED_OFFSET)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> Arm64Mte.ldg(0, 0, 4096));
        assertThrows(IllegalArgumentException.class, () -> Arm64Mte.irg(32, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> Arm64Mte.subs(1, 1, 4096));
    }
}
