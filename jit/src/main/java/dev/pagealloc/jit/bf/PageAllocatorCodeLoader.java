package dev.pagealloc.jit.bf;

import dev.pagealloc.api.KernelException;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Protection;
import dev.pagealloc.api.Region;
import dev.pagealloc.spi.ExecutableMemory;
import dev.pagealloc.spi.ExecutableMemory.DualMapping;
import dev.pagealloc.spi.FeatureAnswer;
import dev.pagealloc.spi.NativeAccess;
import dev.pagealloc.spi.SystemCallException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A {@link CodeLoader} on pagealloc's public pieces. Where the platform offers
 * {@link ExecutableMemory} (dual mapping), code is written through the read-write view and runs from the
 * read-execute view of the same pages, so no protection ever changes; elsewhere it is written into a fresh
 * region, which is then flipped to {@link Protection#READ_EXECUTE} with {@link Region#protect}. Either way
 * no page is writable and executable at once.
 *
 * <p>Calls go through one downcall handle per {@link FunctionDescriptor}, taking the code's address as its
 * first argument and cached for the JVM's life; each load only binds its address to it.
 *
 * <p>Thread-safe.
 */
public final class PageAllocatorCodeLoader implements CodeLoader {
    /** Address-taking downcall handles by signature; a handful of signatures at most. */
    private static final ConcurrentHashMap<FunctionDescriptor, MethodHandle> INVOKERS = new ConcurrentHashMap<>();

    private final PageAllocator allocator;
    private final ExecutableMemory dualMapping;
    private final String strategy;

    /**
     * Creates a loader that uses dual mapping where {@code allocator}'s platform has it, else the protection
     * flip.
     *
     * @param allocator the allocator whose platform provides dual mapping, or whose regions are flipped
     * @throws NullPointerException if {@code allocator} is null
     * @throws IllegalCallerException if this module ({@code dev.pagealloc.jit}) has no native access: asking
     *     the platform for executable memory is restricted
     */
    public PageAllocatorCodeLoader(PageAllocator allocator) {
        this(allocator, Optional.empty());
    }

    /**
     * Creates a loader that uses one strategy, whatever else the platform offers; for comparing them.
     *
     * @param allocator the allocator whose platform provides dual mapping, or whose regions are flipped
     * @param strategy how code is made executable
     * @throws NullPointerException if an argument is null
     * @throws UnsupportedOperationException if {@code strategy} is {@link Strategy#DUAL_MAPPING} and the
     *     platform has none; the message says why
     * @throws IllegalCallerException if this module ({@code dev.pagealloc.jit}) has no native access
     */
    public PageAllocatorCodeLoader(PageAllocator allocator, Strategy strategy) {
        this(allocator, Optional.of(strategy));
    }

    private PageAllocatorCodeLoader(PageAllocator allocator, Optional<Strategy> chosen) {
        Strategy strategy = chosen.orElse(null);
        this.allocator = Objects.requireNonNull(allocator, "allocator");
        FeatureAnswer<ExecutableMemory> answer = allocator.platformFeature(ExecutableMemory.class);
        if (strategy == Strategy.DUAL_MAPPING && !answer.available()) {
            throw new UnsupportedOperationException("PageAllocatorCodeLoader(strategy=DUAL_MAPPING): platform "
                    + allocator.platform() + " has no dual mapping: " + answer.reason());
        }
        this.dualMapping = strategy == Strategy.PROTECTION_FLIP ? null : answer.implementation().orElse(null);
        this.strategy = this.dualMapping != null
                ? "dual mapping (" + answer.reason() + ")"
                : "protection flip of a " + allocator.platform() + " region, RW then RX ("
                        + (strategy == null ? "no dual mapping: " + answer.reason() : "chosen") + ")";
    }

    /** How code is made executable. */
    public enum Strategy {
        /** Written through a read-write view, run from a read-execute view of the same pages. */
        DUAL_MAPPING,
        /** Written into a read-write region, which {@link Region#protect} then turns read-execute. */
        PROTECTION_FLIP
    }

    @Override
    public LoadedCode load(byte[] code, FunctionDescriptor type) {
        NativeAccess.ensureCallerHasNativeAccess("CodeLoader.load");
        Objects.requireNonNull(code, "code");
        Objects.requireNonNull(type, "type");
        if (code.length == 0) {
            throw new IllegalArgumentException("load(codeBytes=0): the code must not be empty");
        }
        MethodHandle invoker = INVOKERS.computeIfAbsent(type, PageAllocatorCodeLoader::invoker);
        return dualMapping != null ? loadDualMapped(code, invoker) : loadFlipped(code, invoker);
    }

    @SuppressWarnings("restricted")
    private static MethodHandle invoker(FunctionDescriptor type) {
        // SAFETY: the handle calls whatever address it is given; only load() binds one, to code it mapped.
        return Linker.nativeLinker().downcallHandle(type);
    }

    @SuppressWarnings("restricted")
    private LoadedCode loadDualMapped(byte[] code, MethodHandle invoker) {
        long granule = allocator.capabilities().allocationGranularityBytes();
        long byteSize = Math.ceilDiv((long) code.length, granule) * granule;
        DualMapping mapping;
        try {
            mapping = dualMapping.map(byteSize);
        } catch (SystemCallException e) {
            throw new KernelException("load(codeBytes=" + code.length + ")",
                    "cannot map " + byteSize + " bytes of executable memory", e.error());
        }
        // SAFETY: map() just returned byteSize read-write bytes at writableAddress, ours until unmap().
        MemorySegment writable = MemorySegment.ofAddress(mapping.writableAddress()).reinterpret(byteSize);
        MemorySegment.copy(code, 0, writable, ValueLayout.JAVA_BYTE, 0, code.length);
        dualMapping.flushInstructionCache(mapping.executableAddress(), code.length);
        MethodHandle handle = MethodHandles.insertArguments(invoker, 0,
                MemorySegment.ofAddress(mapping.executableAddress()));
        return new DualMapped(mapping, handle, code.length);
    }

    private LoadedCode loadFlipped(byte[] code, MethodHandle invoker) {
        long pages = Math.ceilDiv((long) code.length, allocator.pageBytes());
        Region region = allocator.allocate(pages, pages);
        try {
            MemorySegment.copy(code, 0, region.segment(), ValueLayout.JAVA_BYTE, 0, code.length);
            // Invalidates the view just written through; from here on the pages are read and execute only.
            region.protect(0, region.byteSize(), Protection.READ_EXECUTE);
        } catch (RuntimeException e) {
            region.deallocate();
            throw e;
        }
        // x86-64 keeps instruction fetches coherent with stores (Intel SDM vol. 3, 11.6); an arm64 port
        // would need the cache maintenance ExecutableMemory.flushInstructionCache documents.
        MethodHandle handle = MethodHandles.insertArguments(invoker, 0, MemorySegment.ofAddress(region.address()));
        return new Flipped(region, handle, code.length);
    }

    @Override
    public String describe() {
        return strategy;
    }

    /** Code in a dual mapping. */
    private final class DualMapped implements LoadedCode {
        private final DualMapping mapping;
        private final MethodHandle handle;
        private final long codeBytes;
        private final AtomicBoolean closed = new AtomicBoolean();

        DualMapped(DualMapping mapping, MethodHandle handle, long codeBytes) {
            this.mapping = mapping;
            this.handle = handle;
            this.codeBytes = codeBytes;
        }

        @Override
        public MethodHandle handle() {
            return handle;
        }

        @Override
        public long address() {
            return mapping.executableAddress();
        }

        @Override
        public long codeBytes() {
            return codeBytes;
        }

        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) {
                try {
                    dualMapping.unmap(mapping);
                } catch (SystemCallException e) {
                    throw new KernelException("close(codeBytes=" + codeBytes + ")",
                            "cannot unmap the code's two views", e.error());
                }
            }
        }
    }

    /** Code in a region flipped to read-execute. */
    private record Flipped(Region region, MethodHandle handle, long codeBytes) implements LoadedCode {
        @Override
        public long address() {
            return region.address();
        }

        @Override
        public void close() {
            region.deallocate();
        }
    }
}
