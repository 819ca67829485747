package dev.pagealloc.jit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pagealloc.api.Capabilities.WxStrategy;
import dev.pagealloc.api.PageAllocator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;

/** Choosing a strategy, the policy knobs, and the Flight Recorder events. */
class JitMemoryTest {

    @Test
    void shouldRefuseAPlatformThatCannotExecute() {
        PageAllocator embedded = PageAllocator.builder().withPlatform("embedded").build();
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> JitMemory.builder().withAllocator(embedded).build());
        assertTrue(e.getMessage().startsWith("JitMemory.Builder.build(): no way to run generated code here: the"
                + " platform embedded offers no dual mapping ("), e.getMessage());
        assertTrue(e.getMessage().endsWith(") and no executable protection"), e.getMessage());
        assertThrows(UnsupportedOperationException.class,
                () -> JitMemory.builder().withAllocator(embedded).withStrategy(WxStrategy.PROTECTION_FLIP).build());
    }

    @Test
    void shouldPreferDualMappingWhereOffered() {
        assumeTrue(X86.isHost());
        JitMemory jit = JitMemory.builder().build();
        assertEquals(WxStrategy.DUAL_MAPPING, jit.strategy(), "memfd_create works here");
        assertTrue(jit.describe().startsWith("dual mapping (memfd_create + two mmap(MAP_SHARED)"), jit.describe());
        assertEquals("protection flip (read-write, then read-execute); x86-64 needs no instruction cache flush",
                JitMemory.builder().withStrategy(WxStrategy.PROTECTION_FLIP).build().describe());
    }

    @Test
    void shouldRefuseBadBuilderArguments() {
        assertEquals("withHeapChunkBytes(byteSize=0): must be positive", assertThrows(IllegalArgumentException.class,
                () -> JitMemory.builder().withHeapChunkBytes(0)).getMessage());
        assertThrows(NullPointerException.class, () -> JitMemory.builder().withStrategy(null));
        assertThrows(NullPointerException.class, () -> JitMemory.builder().withAllocator(null));
    }

    @Test
    void shouldKnowEachArchitecturesTrap() {
        assertEquals(List.of((byte) 0xCC), toList(JitMemory.trapInstruction("amd64")));
        assertEquals(List.of((byte) 0x00, (byte) 0x00, (byte) 0x20, (byte) 0xD4),
                toList(JitMemory.trapInstruction("aarch64")), "brk #0");
        assertEquals(List.of((byte) 0x73, (byte) 0x00, (byte) 0x10, (byte) 0x00),
                toList(JitMemory.trapInstruction("riscv64")), "ebreak");
    }

    private static List<Byte> toList(byte[] bytes) {
        java.util.ArrayList<Byte> list = new java.util.ArrayList<>();
        for (byte b : bytes) {
            list.add(b);
        }
        return list;
    }

    @Test
    void shouldRecordSealAndFreeEvents() throws Exception {
        assumeTrue(X86.isHost());
        JitMemory jit = JitMemory.builder().build();
        Path file = Files.createTempFile("jit-events", ".jfr");
        long address;
        try (Recording recording = new Recording()) {
            recording.enable("dev.pagealloc.jit.CodeSeal");
            recording.enable("dev.pagealloc.jit.CodeFree");
            recording.start();
            try (CodeBuffer code = jit.allocate(16)) {
                code.write(0, X86.returnInt(1)).seal();
                address = code.address();
            }
            recording.stop();
            recording.dump(file);
        }
        List<RecordedEvent> events = RecordingFile.readAllEvents(file);
        Files.delete(file);
        assertEquals(List.of("dev.pagealloc.jit.CodeSeal", "dev.pagealloc.jit.CodeFree"),
                events.stream().map(e -> e.getEventType().getName()).toList());
        for (RecordedEvent e : events) {
            assertEquals(address, e.getLong("address"));
            assertEquals(4096, e.getLong("byteSize"));
            assertEquals("DUAL_MAPPING", e.getString("strategy"));
        }
    }
}
