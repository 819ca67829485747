package dev.pagealloc.linux;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.Mockito.doNothing;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import dev.pagealloc.api.Advice;
import dev.pagealloc.api.FeatureSupport;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Protection;
import dev.pagealloc.api.Region;
import dev.pagealloc.spi.Backing;
import dev.pagealloc.spi.ExecutableMemory;
import dev.pagealloc.spi.FeatureAnswer;
import dev.pagealloc.spi.HardwareMemoryTagging;
import dev.pagealloc.spi.MemoryImages;
import dev.pagealloc.spi.PurgeableMemory;
import dev.pagealloc.spi.SystemCallException;
import dev.pagealloc.testkit.KernelView;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.mockito.InOrder;

/** The Linux platform features, each judged by the kernel's view: /proc/self/maps, smaps, mincore. */
class LinuxFeaturesTest {
    private static final String ARCH = System.getProperty("os.arch");
    private final LinuxVirtualMemory memory = new LinuxVirtualMemory(FfmLinuxKernel.INSTANCE, () -> {
        throw new AssertionError("the features need no capabilities");
    });
    private final ProcKernelView view = new ProcKernelView();
    private final long pageBytes = memory.pageBytes();

    /** The {@code /proc/self/maps} line of the mapping that starts at {@code address}. */
    private static String mapsLine(long address) throws IOException {
        String start = Long.toHexString(address) + "-";
        return Files.readAllLines(Path.of("/proc/self/maps")).stream().filter(l -> l.startsWith(start)).findFirst()
                .orElse("");
    }

    @Test
    void shouldDualMapOneMemfdReadWriteAndReadExecuteAndRunCodeWrittenThroughTheWritableView() throws Throwable {
        Assumptions.assumeTrue("amd64".equals(ARCH), "the code bytes are x86-64");
        ExecutableMemory executable = memory.feature(ExecutableMemory.class).orElseThrow();
        ExecutableMemory.DualMapping mapping = executable.map(pageBytes);
        try {
            String writable = mapsLine(mapping.writableAddress());
            String runnable = mapsLine(mapping.executableAddress());
            assertTrue(writable.contains(" rw-s ") && writable.contains("/memfd:pagealloc-code"), writable);
            assertTrue(runnable.contains(" r-xs ") && runnable.contains("/memfd:pagealloc-code"), runnable);
            // The inode column: both views map the same file.
            assertEquals(writable.split("\\s+")[4], runnable.split("\\s+")[4], writable + " / " + runnable);
            // W^X: the JVM's own code cache is rwx; neither of our views is.
            Set<String> ours = Set.of(Long.toHexString(mapping.writableAddress()) + "-",
                    Long.toHexString(mapping.executableAddress()) + "-");
            assertTrue(view.writableExecutableMappings().stream().noneMatch(l -> ours.stream().anyMatch(l::startsWith)),
                    () -> view.writableExecutableMappings().toString());

            // mov eax, 42; ret
            byte[] code = {(byte) 0xB8, 0x2A, 0x00, 0x00, 0x00, (byte) 0xC3};
            // SAFETY: map(pageBytes) gave a read-write view of one whole page at writableAddress,
            // mapped until the unmap in finally.
            @SuppressWarnings("restricted") // see the SAFETY line
            MemorySegment writableView = MemorySegment.ofAddress(mapping.writableAddress()).reinterpret(pageBytes);
            MemorySegment.copy(code, 0, writableView, JAVA_BYTE, 0, code.length);
            executable.flushInstructionCache(mapping.executableAddress(), code.length);
            // SAFETY: the executable view holds exactly the code above, an x86-64 function of no
            // arguments returning an int in eax (the descriptor), and stays mapped while it is called.
            @SuppressWarnings("restricted") // see the SAFETY line
            MethodHandle function = Linker.nativeLinker().downcallHandle(
                    MemorySegment.ofAddress(mapping.executableAddress()), FunctionDescriptor.of(JAVA_INT));
            assertEquals(42, (int) function.invokeExact());
        } finally {
            executable.unmap(mapping);
        }
        assertEquals("", mapsLine(mapping.writableAddress()), "unmapped");
        assertEquals("", mapsLine(mapping.executableAddress()), "unmapped");
    }

    @Test
    void shouldMapAnImageCopyOnWriteAndResetItToTheImageByDiscarding() throws SystemCallException, IOException {
        MemoryImages images = memory.feature(MemoryImages.class).orElseThrow();
        byte[] text = "the image".getBytes(StandardCharsets.US_ASCII);
        MemoryImages.Image image;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment contents = arena.allocate(pageBytes + text.length);
            MemorySegment.copy(text, 0, contents, JAVA_BYTE, 0, text.length);
            MemorySegment.copy(text, 0, contents, JAVA_BYTE, pageBytes, text.length);
            image = images.prepare(contents);
        }
        assertEquals(2 * pageBytes, image.byteSize(), "padded to whole pages");
        // F_GET_SEALS (1034): write, grow, shrink and further seals are all refused.
        assertEquals(0xF, FfmLinuxKernel.INSTANCE.fcntl((int) image.handle(), 1034, 0));

        long reservation = memory.reserve(4 * pageBytes, pageBytes, Backing.DEFAULT);
        try {
            images.map(reservation + pageBytes, image);
            String line = mapsLine(reservation + pageBytes);
            assertTrue(line.contains(" rw-p ") && line.contains("/memfd:pagealloc-image"), line);
            // SAFETY: map placed the whole image, read-write, at reservation + pageBytes, inside the
            // four-page reservation; it stays mapped until images.unmap, after the last access.
            @SuppressWarnings("restricted") // see the SAFETY line
            MemorySegment pages = MemorySegment.ofAddress(reservation + pageBytes).reinterpret(image.byteSize());
            assertArrayEquals(text, pages.asSlice(0, text.length).toArray(JAVA_BYTE));
            assertArrayEquals(text, pages.asSlice(pageBytes, text.length).toArray(JAVA_BYTE));
            assertEquals(0, pages.get(JAVA_BYTE, text.length), "zero after the contents");

            pages.fill((byte) 7);
            assertEquals(7, pages.get(JAVA_BYTE, 0));
            images.reset(reservation + pageBytes, image);
            assertArrayEquals(text, pages.asSlice(0, text.length).toArray(JAVA_BYTE), "the image again");
            assertArrayEquals(text, pages.asSlice(pageBytes, text.length).toArray(JAVA_BYTE), "the image again");
            assertEquals(0, pages.get(JAVA_BYTE, pageBytes - 1), "the image's zero padding again");

            images.unmap(reservation + pageBytes, image);
            String reserved = mapsLine(reservation);
            assertTrue(reserved.contains(" ---p ") && !reserved.contains("memfd"), reserved);
            assertEquals(List.of(new KernelView.Mapping(reservation, reservation + 4 * pageBytes, Protection.NONE)),
                    view.mappings(reservation, 4 * pageBytes));
        } finally {
            images.close(image);
            memory.release(reservation, 4 * pageBytes);
        }
    }

    @Test
    void shouldAdviseARegionAsSmapsVmFlagsShow() {
        PageAllocator allocator = PageAllocator.builder().withPlatform("linux").withPageBytes(pageBytes).build();
        try (Region region = allocator.allocate(4, 8)) {
            long bytes = region.committedBytes();
            region.advise(0, bytes, Advice.DONT_DUMP);
            assertTrue(flags(region).contains("dd"), () -> "MADV_DONTDUMP: " + flags(region));
            region.advise(0, bytes, Advice.DO_DUMP);
            assertFalse(flags(region).contains("dd"), () -> "MADV_DODUMP: " + flags(region));
            region.advise(0, bytes, Advice.NO_HUGE_PAGES);
            assertTrue(flags(region).contains("nh"), () -> "MADV_NOHUGEPAGE: " + flags(region));
            region.advise(0, bytes, Advice.HUGE_PAGES);
            assertTrue(flags(region).contains("hg"), () -> "MADV_HUGEPAGE: " + flags(region));

            region.segment().fill((byte) 1);
            assertEquals(bytes, view.residentBytes(region.address(), bytes).orElseThrow());
            region.advise(0, bytes, Advice.DONT_NEED);
            assertEquals(0, view.residentBytes(region.address(), bytes).orElseThrow(), "mincore: given back");
            assertEquals(0, region.segment().get(JAVA_BYTE, 0), "anonymous private pages read zero");
            region.advise(0, bytes, Advice.WILL_NEED);
            region.advise(0, bytes, Advice.REUSE);
            assertEquals(Protection.READ_WRITE, region.protectionAt(0));

            IndexOutOfBoundsException outside = assertThrows(IndexOutOfBoundsException.class,
                    () -> region.advise(0, bytes + pageBytes, Advice.WILL_NEED));
            assertTrue(outside.getMessage().startsWith("advise(byteOffset=0, byteLength=" + (bytes + pageBytes)),
                    outside.getMessage());
        }
    }

    /**
     * SEQUENTIAL and RANDOM show in smaps VmFlags ({@code sr}, {@code rr}; proc(5)) and NORMAL clears them;
     * PURGEABLE ({@code MADV_FREE}) keeps the contents and counts the written pages as {@code LazyFree}
     * (proc(5)); a locked region refuses it before the kernel would ({@code EINVAL}, mm/madvise.c). The
     * kernel moves pages to the lazy-free list through per-CPU batches ({@code folio_mark_lazyfree},
     * mm/swap.c, {@code FOLIO_BATCH_SIZE} 31), so up to 31 pages per CPU may not be counted yet.
     */
    @Test
    void shouldShowReadAheadAndLazyFreeAdviceInSmaps() {
        PageAllocator allocator = PageAllocator.builder().withPlatform("linux").withPageBytes(pageBytes).build();
        try (Region region = allocator.allocate(1024, 1024)) {
            long bytes = region.committedBytes();
            region.advise(0, bytes, Advice.SEQUENTIAL);
            assertTrue(flags(region).contains("sr") && !flags(region).contains("rr"), () -> "MADV_SEQUENTIAL: "
                    + flags(region));
            region.advise(0, bytes, Advice.RANDOM);
            assertTrue(flags(region).contains("rr") && !flags(region).contains("sr"), () -> "MADV_RANDOM: "
                    + flags(region));
            region.advise(0, bytes, Advice.NORMAL);
            assertFalse(flags(region).contains("rr") || flags(region).contains("sr"), () -> "MADV_NORMAL: "
                    + flags(region));

            region.advise(0, bytes, Advice.NO_HUGE_PAGES); // LazyFree counts base pages exactly
            region.segment().fill((byte) 5);
            assertEquals(0, lazyFree(region));
            region.advise(0, bytes / 2, Advice.PURGEABLE);
            long batched = 31L * Runtime.getRuntime().availableProcessors() * pageBytes;
            long lazy = lazyFree(region);
            assertTrue(lazy <= bytes / 2 && lazy >= bytes / 2 - batched, () -> "MADV_FREE: LazyFree=" + lazy
                    + " of the " + bytes / 2 + " bytes advised");
            assertEquals(5, region.segment().get(JAVA_BYTE, 0), "its contents stay until the kernel reclaims them");
            assertEquals(Protection.READ_WRITE, region.protectionAt(0));
        }
        try (Region locked = PageAllocator.builder().withPlatform("linux").withPageBytes(pageBytes).withLock(true)
                .build().allocate(1, 1)) {
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                    () -> locked.advise(0, pageBytes, Advice.PURGEABLE));
            assertEquals("advise(byteOffset=0, byteLength=" + pageBytes + "): this region's pages are locked"
                    + " (lock=true or a LOCKED partition), and locked pages cannot be PURGEABLE", e.getMessage());
        }
    }

    private long lazyFree(Region region) {
        return view.smaps(region.address(), region.committedBytes()).stream()
                .mapToLong(s -> s.kilobytes().getOrDefault("LazyFree", 0L)).sum() * 1024;
    }

    private Set<String> flags(Region region) {
        return view.smaps(region.address(), region.committedBytes()).stream()
                .flatMap(s -> s.vmFlags().stream()).collect(Collectors.toSet());
    }

    @Test
    void shouldListEveryFeatureWithItsAnswer() {
        List<FeatureSupport> features = PageAllocator.builder().withPlatform("linux").build().features();
        assertEquals(List.of("ExecutableMemory", "MemoryImages", "PageAdvice", "PurgeableMemory",
                "HardwareMemoryTagging"), features.stream().map(FeatureSupport::feature).toList());
        assertTrue(features.get(2).available(), features.toString());
        FeatureAnswer<HardwareMemoryTagging> tagging = memory.feature(HardwareMemoryTagging.class);
        assertFalse(tagging.available());
        if ("amd64".equals(ARCH)) {
            assertEquals("no MTE on amd64: ARM MTE is an arm64 extension", tagging.reason());
            assertTrue(features.get(0).available(), features.toString());
        }
        assertFalse(memory.feature(PurgeableMemory.class).available());
    }

    @Test
    void shouldAnswerExecutableMemoryAbsentOnArm64WithoutLibgccAndFlushThroughItWhereFound() {
        LinuxKernel kernel = mock(LinuxKernel.class);
        when(kernel.sysconf(LinuxAbi.SC_PAGESIZE)).thenReturn(4096L);
        LinuxVirtualMemory arm = new LinuxVirtualMemory(kernel, () -> null);
        doThrow(new UnsupportedOperationException("missing")).when(kernel).clearCache(0, 0);
        FeatureAnswer<ExecutableMemory> missing = new LinuxFeatures(arm, "aarch64").answer(ExecutableMemory.class);
        assertFalse(missing.available());
        assertTrue(missing.reason().contains("__clear_cache"), missing.reason());

        doNothing().when(kernel).clearCache(0, 0);
        ExecutableMemory found = new LinuxFeatures(arm, "aarch64").answer(ExecutableMemory.class).orElseThrow();
        found.flushInstructionCache(0x10000, 64);
        verify(kernel).clearCache(0x10000, 0x10040);
    }

    @Test
    void shouldUnmapTheWritableViewAndCloseTheMemfdWhenTheExecutableViewIsRefused() {
        LinuxKernel kernel = mock(LinuxKernel.class);
        when(kernel.sysconf(LinuxAbi.SC_PAGESIZE)).thenReturn(4096L);
        when(kernel.memfdCreate("pagealloc-code", LinuxAbi.MFD_CLOEXEC)).thenReturn(7);
        when(kernel.mmap(0, 4096, LinuxAbi.PROT_READ | LinuxAbi.PROT_WRITE, LinuxAbi.MAP_SHARED, 7, 0))
                .thenReturn(0x10000L);
        when(kernel.mmap(0, 4096, LinuxAbi.PROT_READ | LinuxAbi.PROT_EXEC, LinuxAbi.MAP_SHARED, 7, 0))
                .thenReturn(LinuxAbi.MAP_FAILED);
        when(kernel.errno()).thenReturn(LinuxAbi.EPERM);
        when(kernel.strerror(LinuxAbi.EPERM)).thenReturn("Operation not permitted");
        ExecutableMemory executable = new LinuxFeatures(new LinuxVirtualMemory(kernel, () -> null), "amd64")
                .answer(ExecutableMemory.class).orElseThrow();
        SystemCallException e = assertThrows(SystemCallException.class, () -> executable.map(4096));
        assertEquals("mmap(0x0, 4096, PROT_READ|PROT_EXEC, MAP_SHARED, 7, 0) -> EPERM (1): Operation not permitted",
                e.getMessage());
        InOrder order = inOrder(kernel);
        order.verify(kernel).munmap(0x10000, 4096);
        order.verify(kernel).close(7);
    }
}
