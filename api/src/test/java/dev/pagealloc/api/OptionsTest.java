package dev.pagealloc.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** Validation and values of the option types: NUMA policies, huge pages, tagging, protections, units. */
class OptionsTest {

    @Test
    void shouldCheckNumaNodeSets() {
        assertEquals(List.of(0, 2, 5), List.copyOf(NumaPolicy.bind(5, 0, 2, 2).nodes()), "sorted, without duplicates");
        assertEquals(List.of(3), List.copyOf(NumaPolicy.preferred(3).nodes()));
        assertEquals(List.of(1, 2), List.copyOf(NumaPolicy.interleave(2, 1).nodes()));
        assertTrue(NumaPolicy.none().nodes().isEmpty());
        assertEquals("default", NumaPolicy.none().toString());
        assertEquals("NumaPolicy.bind(nodes=[]): at least one node is needed",
                assertThrows(IllegalArgumentException.class, NumaPolicy::bind).getMessage());
        assertEquals("NumaPolicy.interleave(nodes=[]): at least one node is needed",
                assertThrows(IllegalArgumentException.class, NumaPolicy::interleave).getMessage());
        assertEquals("NumaPolicy.bind(nodes=[0, -1]): node -1 is outside 0..1023",
                assertThrows(IllegalArgumentException.class, () -> NumaPolicy.bind(0, -1)).getMessage());
        assertEquals("NumaPolicy.interleave(nodes=[1024]): node 1024 is outside 0..1023",
                assertThrows(IllegalArgumentException.class, () -> NumaPolicy.interleave(1024)).getMessage());
        assertEquals("NumaPolicy.preferred(node=-3): node -3 is outside 0..1023",
                assertThrows(IllegalArgumentException.class, () -> NumaPolicy.preferred(-3)).getMessage());
        assertEquals("NumaPolicy.preferred(node=4096): node 4096 is outside 0..1023",
                assertThrows(IllegalArgumentException.class, () -> NumaPolicy.preferred(4096)).getMessage(),
                "one node, named as the caller passed it, not as a node set");
        assertThrows(IllegalArgumentException.class, () -> new NumaPolicy.Bind(new TreeSet<>()));
        assertThrows(UnsupportedOperationException.class, () -> NumaPolicy.bind(1).nodes().add(2),
                "node sets are immutable");
        assertEquals(NumaPolicy.bind(1, 2), new NumaPolicy.Bind(new TreeSet<>(Set.of(2, 1))));
    }

    @Test
    void shouldCheckHugePageSizes() {
        assertEquals(HugePages.SIZE_2_MIB, ((HugePages.Explicit) HugePages.explicit(2L << 20)).pageBytes());
        assertEquals("explicit(2 MiB)", HugePages.explicit(HugePages.SIZE_2_MIB).toString());
        assertEquals("explicit(1 GiB)", HugePages.explicit(HugePages.SIZE_1_GIB).toString());
        for (long bad : new long[] {0, -2097152, 3 << 20}) {
            assertEquals("HugePages.explicit(pageBytes=" + bad + "): not a positive power of two",
                    assertThrows(IllegalArgumentException.class, () -> HugePages.explicit(bad)).getMessage());
        }
        assertSame(HugePages.none(), HugePages.None.INSTANCE);
        assertEquals("transparent", HugePages.transparent().toString());
        assertEquals("default", HugePages.systemDefault().toString());
    }

    @Test
    void shouldCheckMemoryTagging() {
        assertFalse(MemoryTagging.NONE.enabled());
        assertSame(MemoryTagging.NONE, MemoryTagging.of(MemoryTagging.TagCheckMode.NONE));
        MemoryTagging sync = MemoryTagging.of(MemoryTagging.TagCheckMode.SYNC);
        assertTrue(sync.enabled());
        assertEquals(0xFFFE, sync.includeMask(), "tag 0 is left for untagged pointers");
        assertEquals("MemoryTagging(includeMask=0x10000): only bits 0..15 name tags",
                assertThrows(IllegalArgumentException.class,
                        () -> new MemoryTagging(MemoryTagging.TagCheckMode.SYNC, 0x10000)).getMessage());
        assertEquals("MemoryTagging(includeMask=0xffffffff): only bits 0..15 name tags",
                assertThrows(IllegalArgumentException.class,
                        () -> new MemoryTagging(MemoryTagging.TagCheckMode.ASYNC, -1)).getMessage());
        assertEquals("MemoryTagging(mode=ASYNC, includeMask=0x0): no tag to choose",
                assertThrows(IllegalArgumentException.class,
                        () -> new MemoryTagging(MemoryTagging.TagCheckMode.ASYNC, 0)).getMessage());
        assertEquals("MemoryTagging(mode=null, includeMask=0x1): mode must not be null",
                assertThrows(NullPointerException.class, () -> new MemoryTagging(null, 1)).getMessage());
    }

    @Test
    void shouldOrderProtectionsByWhatTheyAllow() {
        for (Protection p : Protection.values()) {
            assertTrue(Protection.NONE.isWithin(p));
            assertTrue(p.isWithin(p));
            assertFalse(p.isReadable() && p.isWritable() && p.isExecutable(), "W^X: " + p);
        }
        assertTrue(Protection.READ.isWithin(Protection.READ_WRITE));
        assertTrue(Protection.READ.isWithin(Protection.READ_EXECUTE));
        assertFalse(Protection.READ_WRITE.isWithin(Protection.READ_EXECUTE));
        assertFalse(Protection.READ_EXECUTE.isWithin(Protection.READ_WRITE));
        assertFalse(Protection.READ.isWithin(Protection.NONE));
    }

    @Test
    void shouldFormatUnits() {
        assertEquals("0 B", Units.bytes(0));
        assertEquals("1000 B", Units.bytes(1000));
        assertEquals("4 KiB", Units.bytes(4096));
        assertEquals("2 MiB", Units.bytes(2L << 20));
        assertEquals("1536 KiB", Units.bytes(1536L << 10));
        assertEquals("1024 TiB", Units.bytes(1L << 50));
        assertEquals("0x7f3a12340000", Units.hex(0x7f3a12340000L));
        assertEquals("0xffffffffffffffff", Units.hex(-1));
    }
}
