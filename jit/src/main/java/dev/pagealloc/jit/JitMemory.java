package dev.pagealloc.jit;

import dev.pagealloc.api.Capabilities;
import dev.pagealloc.api.Capabilities.WxStrategy;
import dev.pagealloc.api.KernelException;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.PageAllocatorException;
import dev.pagealloc.api.Protection;
import dev.pagealloc.api.Region;
import dev.pagealloc.spi.ExecutableMemory;
import dev.pagealloc.spi.FeatureAnswer;
import dev.pagealloc.spi.NativeAccess;
import java.util.Objects;
import java.util.Optional;

/**
 * Executable memory for code generated at run time: {@link CodeBuffer}s of their own pages
 * ({@link #allocate(long)}), a {@link CodeHeap} packing many small functions ({@link #newHeap()}), and
 * the one-call {@link #install(byte[])}. Every page obeys W^X: no mapping is ever writable and
 * executable at once.
 *
 * {@snippet :
 * JitMemory jit = JitMemory.builder().build();                       // restricted
 * CodeBuffer add = jit.install(new byte[] {0x48, (byte) 0x8D, 0x04, 0x37, (byte) 0xC3}); // lea rax,[rdi+rsi]; ret
 * MethodHandle h = add.handle(FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG)); // (long,long)long
 * long five = (long) h.invokeExact(2L, 3L);
 * }
 *
 * <h2 id="strategies">Strategies</h2>
 * Chosen when the memory is built, from what the allocator's platform offers
 * ({@link Capabilities#wxStrategies()}, {@link PageAllocator#platformFeature(Class)}), unless
 * {@link Builder#withStrategy(WxStrategy)} names one:
 * <ul>
 *   <li>{@link WxStrategy#DUAL_MAPPING}, preferred when offered: the same pages mapped twice, written
 *       through a read-write view and run from a read-execute view at another address
 *       ({@code memfd_create} and two {@code mmap(MAP_SHARED)} on Linux, {@code mach_vm_remap} on macOS,
 *       two views of a section on Windows; see {@link ExecutableMemory}). Sealing changes no
 *       protection, so small functions share pages and sealing costs no system call, and code can be
 *       patched while it runs.</li>
 *   <li>{@link WxStrategy#PROTECTION_FLIP} otherwise: one mapping, read-write while written, then
 *       read-execute ({@link Region#protect}: {@code mprotect}, {@code mach_vm_protect},
 *       {@code VirtualProtect}). A sealed function's pages are its own.</li>
 *   <li>{@link WxStrategy#PER_THREAD_TOGGLE} (macOS {@code pthread_jit_write_protect_np}) is refused:
 *       it switches HotSpot's own {@code MAP_JIT} code cache too, and the JVM dies (see the README's
 *       JIT section).</li>
 * </ul>
 * The instruction cache is maintained on every seal (see {@link CodeBuffer#seal()}) by the platform's
 * flush ({@code __clear_cache} on Linux arm64 and nothing on Linux x86-64, whose instruction fetches see
 * stores; {@code sys_icache_invalidate} on macOS; {@code FlushInstructionCache} on Windows, which asks for
 * it on every architecture); on arm64 that runs {@code dc cvau; dsb ish; ic ivau; dsb ish; isb} over the
 * written lines. Where there is no platform flush, x86-64 needs none and other CPUs are refused.
 *
 * <h2>macOS on Apple silicon</h2>
 * Dual mapping there aliases ordinary (not {@code MAP_JIT}) read-write memory read-execute with
 * {@code mach_vm_remap}; executable memory without {@code MAP_JIT} under the hardened runtime needs
 * the {@code com.apple.security.cs.allow-unsigned-executable-memory} entitlement, which the JDK's
 * signed launcher carries beside {@code allow-jit}. Only the simulated Mach kernel has run it; see the
 * README.
 *
 * <h2>A capability</h2>
 * Building one is restricted ({@link Builder#build()}); holding one is the power to run any bytes as
 * machine code, as holding a downcall handle is the power to call its target. Hand a {@code JitMemory}
 * (or a {@link CodeHeap}, or a writable {@link CodeBuffer}) only to code you would grant native access.
 *
 * <p>Thread-safe. Statistics are in {@link #statistics()}; Flight Recorder records
 * {@code dev.pagealloc.jit.CodeSeal} and {@code dev.pagealloc.jit.CodeFree} events.
 */
public final class JitMemory implements AutoCloseable {
    /** The default chunk of a {@link CodeHeap}, in bytes. */
    public static final long DEFAULT_HEAP_CHUNK_BYTES = 64 * 1024;

    private final PageAllocator allocator;
    private final WxStrategy strategy;
    private final Optional<ExecutableMemory> platform;
    private final InstructionCache cache;
    private final boolean patching;
    private final long granuleBytes;
    private final long mappingBytes;
    private final long heapChunkBytes;
    private final byte[] trap;
    private final String description;
    private final CodeCounters counters = new CodeCounters();
    private final Object defaultHeapLock = new Object();
    private CodeHeap defaultHeap;

    private JitMemory(Builder builder, PageAllocator allocator) {
        this.allocator = allocator;
        Capabilities capabilities = allocator.capabilities();
        FeatureAnswer<ExecutableMemory> answer = allocator.platformFeature(ExecutableMemory.class);
        this.platform = answer.implementation();
        this.strategy = choose(builder.strategy, capabilities, answer);
        this.cache = InstructionCache.of(capabilities.architecture(), platform);
        this.patching = builder.patching;
        this.granuleBytes = capabilities.pageBytes();
        this.mappingBytes = strategy == WxStrategy.DUAL_MAPPING ? capabilities.allocationGranularityBytes()
                : granuleBytes;
        this.heapChunkBytes = roundUp(builder.heapChunkBytes, mappingBytes);
        this.trap = trapInstruction(capabilities.architecture());
        // The platform's own description of dual mapping already says how it keeps the instruction cache.
        this.description = strategy == WxStrategy.DUAL_MAPPING
                ? "dual mapping (" + answer.reason() + ")"
                : "protection flip (read-write, then read-execute)"
                        + (InstructionCache.isX86(capabilities.architecture())
                                ? "; x86-64 needs no instruction cache flush" : "; instruction cache flushed on seal");
    }

    /** {@return a builder with the defaults: the platform's preferred strategy, patching allowed} */
    public static Builder builder() {
        return new Builder();
    }

    private static WxStrategy choose(WxStrategy requested, Capabilities capabilities,
            FeatureAnswer<ExecutableMemory> answer) {
        boolean flip = capabilities.protections().contains(Protection.READ_EXECUTE)
                && capabilities.wxStrategies().contains(WxStrategy.PROTECTION_FLIP);
        boolean dual = answer.available();
        String offered = "the platform " + capabilities.platform() + " offers " + (dual ? "dual mapping" : "no dual"
                + " mapping (" + answer.reason() + ")") + " and " + (flip ? "protection flips" : "no executable"
                + " protection");
        if (requested == null) {
            if (dual) {
                return WxStrategy.DUAL_MAPPING;
            }
            if (flip) {
                return WxStrategy.PROTECTION_FLIP;
            }
            throw new UnsupportedOperationException("JitMemory.Builder.build(): no way to run generated code here: "
                    + offered);
        }
        switch (requested) {
            case DUAL_MAPPING -> {
                if (!dual) {
                    throw new UnsupportedOperationException("JitMemory.Builder.build(strategy=DUAL_MAPPING): "
                            + offered);
                }
            }
            case PROTECTION_FLIP -> {
                if (!flip) {
                    throw new UnsupportedOperationException("JitMemory.Builder.build(strategy=PROTECTION_FLIP): "
                            + offered);
                }
            }
            case PER_THREAD_TOGGLE -> throw new UnsupportedOperationException("JitMemory.Builder.build("
                    + "strategy=PER_THREAD_TOGGLE): pthread_jit_write_protect_np switches every MAP_JIT region of the"
                    + " process for the calling thread, HotSpot's own code cache included, so a Java thread that"
                    + " flips it returns into code it cannot execute; use DUAL_MAPPING or PROTECTION_FLIP");
            default -> throw new AssertionError(requested);
        }
        return requested;
    }

    /**
     * {@return the bytes of one trap instruction}: {@code int3} (0xCC) on x86-64, {@code brk #0}
     * (0xD4200000, little-endian) on arm64, {@code ebreak} (0x00100073) on RISC-V; elsewhere zeros,
     * which are not promised to trap
     *
     * @param architecture an {@code os.arch} value
     */
    static byte[] trapInstruction(String architecture) {
        if (InstructionCache.isX86(architecture)) {
            return new byte[] {(byte) 0xCC};
        }
        return switch (architecture) {
            case "aarch64", "arm64" -> new byte[] {0x00, 0x00, 0x20, (byte) 0xD4};
            case "riscv64" -> new byte[] {0x73, 0x00, 0x10, 0x00};
            default -> new byte[] {0};
        };
    }

    /**
     * {@return a writable code buffer of its own pages}, {@code byteSize} rounded up to the page (or, for
     * dual mapping, to the allocation granularity: 64 KiB on Windows); freeing it unmaps them
     *
     * @param byteSize the code's length, in bytes; positive
     * @throws IllegalArgumentException if {@code byteSize <= 0}
     * @throws KernelException if the kernel refuses the mapping; nothing is left mapped
     * @throws PageAllocatorException as the allocator refuses the region (budget, mapping limit)
     */
    public CodeBuffer allocate(long byteSize) {
        if (byteSize <= 0) {
            throw new IllegalArgumentException("JitMemory.allocate(byteSize=" + byteSize + "): must be positive");
        }
        CodePages pages = map("JitMemory.allocate(byteSize=" + byteSize + ")", roundToMapping(byteSize));
        CodeBuffer buffer = new CodeBuffer(this, pages, 0, pages.byteSize(), null);
        counters.allocated(buffer.byteSize());
        return buffer;
    }

    /**
     * {@return a new, empty code heap} whose chunks are {@link Builder#withHeapChunkBytes(long)} bytes
     * (see {@link CodeHeap}); close it when its code is no longer needed
     */
    public CodeHeap newHeap() {
        return new CodeHeap(this, heapChunkBytes);
    }

    /**
     * Puts {@code code} into this memory's own code heap and seals it: the short way to run bytes.
     *
     * {@snippet :
     * MethodHandle f = jit.install(bytes).handle(FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG));
     * }
     *
     * @param code the machine code; not empty
     * @return the sealed function; {@link CodeBuffer#free()} it when done, or {@link #close()} the memory
     * @throws IllegalArgumentException if {@code code} is empty
     * @throws NullPointerException if {@code code} is null
     * @throws IllegalStateException if this memory is closed
     * @throws KernelException if the kernel refuses a chunk; nothing is left allocated
     */
    public CodeBuffer install(byte[] code) {
        Objects.requireNonNull(code, "code");
        if (code.length == 0) {
            throw new IllegalArgumentException("JitMemory.install(code.length=0): no code to install");
        }
        CodeHeap heap;
        synchronized (defaultHeapLock) {
            if (defaultHeap == null) {
                defaultHeap = newHeap();
            }
            heap = defaultHeap;
        }
        return heap.install(code);
    }

    /** {@return the W^X strategy in use} */
    public WxStrategy strategy() {
        return strategy;
    }

    /**
     * {@return the strategy in words, with the calls that back it}, e.g.
     * {@code dual mapping (memfd_create + two mmap(MAP_SHARED) views, rw- and r-x; ...)}
     */
    public String describe() {
        return description;
    }

    /** {@return whether {@link CodeBuffer#makeWritable()} is allowed} */
    public boolean patchingAllowed() {
        return patching;
    }

    /** {@return the allocator whose pages (or platform feature) hold the code} */
    public PageAllocator allocator() {
        return allocator;
    }

    /** {@return a snapshot of the counters} */
    public CodeStatistics statistics() {
        return counters.snapshot();
    }

    /**
     * Closes the code heap behind {@link #install(byte[])}, freeing its functions. Buffers from
     * {@link #allocate(long)} and heaps from {@link #newHeap()} are their owners' to free. The memory
     * stays usable: a later {@code install} starts a new heap.
     *
     * @throws KernelException if the kernel refuses to unmap a chunk
     */
    @Override
    public void close() {
        CodeHeap heap;
        synchronized (defaultHeapLock) {
            heap = defaultHeap;
            defaultHeap = null;
        }
        if (heap != null) {
            heap.close();
        }
    }

    @Override
    public String toString() {
        return "JitMemory[" + description + "]";
    }

    CodeCounters counters() {
        return counters;
    }

    long granuleBytes() {
        return granuleBytes;
    }

    byte[] trapInstruction() {
        return trap;
    }

    long roundToMapping(long byteSize) {
        return roundUp(byteSize, mappingBytes);
    }

    static long roundUp(long byteSize, long unit) {
        return Math.multiplyExact(Math.ceilDiv(byteSize, unit), unit);
    }

    /**
     * Maps {@code byteSize} bytes of code pages, writable, by the strategy.
     *
     * @param operation the caller's operation, for messages
     * @param byteSize the size, in bytes; a multiple of the mapping unit
     * @return the pages
     */
    CodePages map(String operation, long byteSize) {
        CodePages pages;
        if (strategy == WxStrategy.DUAL_MAPPING) {
            pages = DualPages.map(operation, platform.orElseThrow(), byteSize, cache);
        } else {
            long unit = allocator.pageBytes();
            long count = Math.ceilDiv(byteSize, unit);
            pages = new FlipPages(allocator.allocate(count, count), byteSize, cache);
        }
        counters.mapped(pages.byteSize());
        return pages;
    }

    /**
     * Configures a {@link JitMemory}; checked at {@link #build()}. Not thread-safe.
     */
    public static final class Builder {
        private PageAllocator allocator;
        private WxStrategy strategy;
        private boolean patching = true;
        private long heapChunkBytes = DEFAULT_HEAP_CHUNK_BYTES;

        private Builder() {}

        /**
         * Sets the allocator whose platform holds the code. The default is an allocator of the running
         * platform with the system page as its unit and no guard pages (code needs none: a jump out of
         * a function lands in another's bytes or unmapped memory either way).
         *
         * @param allocator the allocator; its platform must be able to execute memory
         * @return this builder
         * @throws NullPointerException if {@code allocator} is null
         */
        public Builder withAllocator(PageAllocator allocator) {
            this.allocator = Objects.requireNonNull(allocator, "withAllocator(allocator=null): allocator");
            return this;
        }

        /**
         * Asks for a W^X strategy instead of the platform's preferred one (see
         * <a href="#strategies">strategies</a>).
         *
         * @param strategy {@link WxStrategy#DUAL_MAPPING} or {@link WxStrategy#PROTECTION_FLIP}
         * @return this builder
         * @throws NullPointerException if {@code strategy} is null
         */
        public Builder withStrategy(WxStrategy strategy) {
            this.strategy = Objects.requireNonNull(strategy, "withStrategy(strategy=null): strategy");
            return this;
        }

        /**
         * Allows or forbids {@link CodeBuffer#makeWritable()}: forbidding it makes sealed code final, so
         * no bug can reopen it for writing. Allowed by default.
         *
         * @param allowed whether sealed code may be made writable again
         * @return this builder
         */
        public Builder withPatching(boolean allowed) {
            this.patching = allowed;
            return this;
        }

        /**
         * Sets the chunk size of code heaps, rounded up to the mapping unit at build.
         *
         * @param byteSize the size, in bytes; positive
         * @return this builder
         * @throws IllegalArgumentException if {@code byteSize <= 0}
         */
        public Builder withHeapChunkBytes(long byteSize) {
            if (byteSize <= 0) {
                throw new IllegalArgumentException("withHeapChunkBytes(byteSize=" + byteSize + "): must be positive");
            }
            this.heapChunkBytes = byteSize;
            return this;
        }

        /**
         * Builds the memory, choosing the strategy.
         *
         * <p><b>Restricted.</b> This method is restricted. Restricted methods are unsafe, and, if used
         * incorrectly, might crash the JVM or result in memory corruption: the memory built runs any
         * bytes it is given as machine code, through handles that cannot check what the code does. It
         * runs only for a caller whose module has native access (see {@link NativeAccess}), and the
         * {@code dev.pagealloc.jit} module needs native access too.
         *
         * @return the memory
         * @throws IllegalCallerException if the caller's module has no native access
         * @throws UnsupportedOperationException if the platform cannot run generated code (the embedded
         *     buffer), or not by the strategy asked for, or the CPU needs an instruction cache flush the
         *     platform does not offer; the message says what the platform offers
         * @throws PageAllocatorException if no platform can be found for the default allocator
         */
        public JitMemory build() {
            NativeAccess.ensureCallerHasNativeAccess("JitMemory.Builder.build");
            PageAllocator chosen = allocator;
            if (chosen == null) {
                long page = PageAllocator.builder().build().capabilities().pageBytes();
                chosen = PageAllocator.builder().withPageBytes(page).withGuardPages(false).build();
            }
            return new JitMemory(this, chosen);
        }
    }
}
