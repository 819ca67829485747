package dev.pagealloc.platform.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

class MapsLineTest {
    @Test
    void shouldReadTheRangeAndPermissionsOfAMapsLine() {
        assertEquals(new MapsLine(0x7f3a1c000000L, 0x7f3a1c021000L, "rw-p"),
                MapsLine.parse("7f3a1c000000-7f3a1c021000 rw-p 00000000 00:00 0 "));
        assertEquals(new MapsLine(0x55d0c8a00000L, 0x55d0c8a01000L, "r-xs"),
                MapsLine.parse("55d0c8a00000-55d0c8a01000 r-xs 00001000 fd:01 1234   /usr/bin/java"));
    }

    @Test
    void shouldReadAddressesAboveTheSignedRangeUnsigned() {
        // x86-64's vsyscall page, the last line of every process's maps.
        MapsLine vsyscall = MapsLine.parse("ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0 [vsyscall]");
        assertNotNull(vsyscall);
        assertEquals(0xffffffffff600000L, vsyscall.start());
        assertEquals("--xp", vsyscall.permissions());
    }

    @Test
    void shouldRefuseLinesThatAreNoMapping() {
        assertNull(MapsLine.parse("Rss:                   4 kB"));
        assertNull(MapsLine.parse("VmFlags: rd wr mr mw me ac sd"));
        assertNull(MapsLine.parse(""));
        assertNull(MapsLine.parse("7f3a1c000000"));
        assertNull(MapsLine.parse("7f3a1c000000- rw-p"));
    }

    @Test
    void shouldAcceptTheRangeLinesOfOtherPlatformsViews() {
        // Blanks before, 0x prefixes, nothing after the range: what the test kit's W^X sweep may be given.
        assertEquals(new MapsLine(0x1000, 0x2000, ""), MapsLine.parse("  0x1000-0x2000"));
        assertEquals(new MapsLine(0x1000, 0x2000, "rwx/"), MapsLine.parse("0x1000-0x2000 rwx/rwx SM=PRV"));
    }

    @Test
    @EnabledOnOs(OS.LINUX)
    void shouldParseEveryLineOfThisProcesssMaps() throws IOException {
        List<String> lines = Files.readAllLines(Path.of("/proc/self/maps"));
        assertTrue(lines.size() > 10, "a JVM has more than ten mappings: " + lines.size());
        for (String line : lines) {
            MapsLine mapping = MapsLine.parse(line);
            assertNotNull(mapping, line);
            assertTrue(Long.compareUnsigned(mapping.start(), mapping.end()) < 0, line);
            assertTrue(mapping.permissions().matches("[r-][w-][x-][ps]"), line);
        }
    }
}
