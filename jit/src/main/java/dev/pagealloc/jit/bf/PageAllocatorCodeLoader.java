package dev.pagealloc.jit.bf;

import dev.pagealloc.api.Capabilities.WxStrategy;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.jit.CodeBuffer;
import dev.pagealloc.jit.CodeHeap;
import dev.pagealloc.jit.JitMemory;
import dev.pagealloc.spi.NativeAccess;
import java.lang.foreign.FunctionDescriptor;
import java.lang.invoke.MethodHandle;
import java.util.Objects;

/**
 * A {@link CodeLoader} on the {@code jit} layer: each load {@linkplain CodeHeap#install(byte[]) installs}
 * the code in a {@link CodeHeap} of a {@link JitMemory} and calls it through {@link CodeBuffer#handle}, so
 * the W^X strategy (dual mapping where the platform offers it, else a protection flip), the instruction
 * cache maintenance and the downcall stubs (one per {@link FunctionDescriptor}, shared by every buffer) are
 * the {@code jit} module's. The handle is the ordinary one, not {@linkplain CodeBuffer#criticalHandle
 * critical}: compiled programs call back into Java for {@code ,} and {@code .}, and an upcall from critical
 * code crashes the JVM.
 *
 * <p>The loader has a heap of its own. With dual mapping, its programs share the heap's pages (a few
 * hundred bytes each need not take a page each); with a protection flip each has pages of its own. Either
 * way no page is writable and executable at once. Closing a program overwrites its bytes with trap
 * instructions and returns them to the heap, which unmaps a chunk once it is empty unless it is the
 * heap's last; {@link #close()} unmaps the rest.
 *
 * <p>The loader does not hand out its {@link JitMemory}: built by the allocator constructors on behalf of
 * a caller that need not have native access, it would let that caller run any bytes, where {@link #load}
 * checks.
 *
 * <p>Thread-safe.
 */
public final class PageAllocatorCodeLoader implements CodeLoader, AutoCloseable {
    private final JitMemory jit;
    private final CodeHeap heap;

    /**
     * Creates a loader over a new {@link JitMemory} of {@code allocator}, with the strategy the platform
     * prefers (dual mapping where offered, else the protection flip).
     *
     * @param allocator the allocator whose platform provides dual mapping, or whose regions are flipped
     * @throws NullPointerException if {@code allocator} is null
     * @throws UnsupportedOperationException if the platform cannot run generated code (the embedded buffer);
     *     the message says what it offers
     * @throws IllegalCallerException if this module ({@code dev.pagealloc.jit}) has no native access: building
     *     a {@link JitMemory} is restricted
     */
    public PageAllocatorCodeLoader(PageAllocator allocator) {
        this(JitMemory.builder().withAllocator(Objects.requireNonNull(allocator, "allocator")).build());
    }

    /**
     * Creates a loader over a new {@link JitMemory} of {@code allocator} that uses one strategy, whatever else
     * the platform offers; for comparing them.
     *
     * @param allocator the allocator whose platform provides dual mapping, or whose regions are flipped
     * @param strategy {@link WxStrategy#DUAL_MAPPING} or {@link WxStrategy#PROTECTION_FLIP}
     * @throws NullPointerException if an argument is null
     * @throws UnsupportedOperationException if the platform cannot run code by {@code strategy}, or
     *     {@code strategy} is {@link WxStrategy#PER_THREAD_TOGGLE}; the message says why
     * @throws IllegalCallerException if this module ({@code dev.pagealloc.jit}) has no native access
     */
    public PageAllocatorCodeLoader(PageAllocator allocator, WxStrategy strategy) {
        this(JitMemory.builder().withAllocator(Objects.requireNonNull(allocator, "allocator"))
                .withStrategy(Objects.requireNonNull(strategy, "strategy")).build());
    }

    /**
     * Creates a loader whose code goes into a new heap of {@code jit} ({@link JitMemory#newHeap()}); the
     * memory's other heaps and buffers are not touched, by this loader or its {@link #close()}.
     *
     * @param jit the executable memory
     * @throws NullPointerException if {@code jit} is null
     */
    public PageAllocatorCodeLoader(JitMemory jit) {
        this.jit = Objects.requireNonNull(jit, "jit");
        this.heap = jit.newHeap();
    }

    @Override
    public LoadedCode load(byte[] code, FunctionDescriptor type) {
        NativeAccess.ensureCallerHasNativeAccess("CodeLoader.load");
        Objects.requireNonNull(code, "code");
        Objects.requireNonNull(type, "type");
        if (code.length == 0) {
            throw new IllegalArgumentException("load(codeBytes=0): the code must not be empty");
        }
        CodeBuffer buffer = heap.install(code);
        try {
            return new Installed(buffer, buffer.handle(type), code.length);
        } catch (RuntimeException e) {
            // The linker refused the signature: the code goes back to the heap, as if never loaded.
            buffer.free();
            throw e;
        }
    }

    @Override
    public String describe() {
        return jit.describe();
    }

    /**
     * Frees every program this loader loaded (their handles must not be called any more: they would run
     * trap instructions or unmapped memory, and the JVM dies) and unmaps the heap's pages. Idempotent; a
     * later {@link #load} throws {@link IllegalStateException}.
     *
     * @throws dev.pagealloc.api.KernelException if the kernel refuses to unmap a chunk; the others are
     *     unmapped all the same
     */
    @Override
    public void close() {
        heap.close();
    }

    /** A program's code, sealed in the heap. */
    private record Installed(CodeBuffer buffer, MethodHandle handle, long codeBytes) implements LoadedCode {
        @Override
        public long address() {
            return buffer.address();
        }

        @Override
        public void close() {
            buffer.close();
        }
    }
}
