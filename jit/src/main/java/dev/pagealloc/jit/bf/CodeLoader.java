package dev.pagealloc.jit.bf;

import java.lang.foreign.FunctionDescriptor;
import java.lang.invoke.MethodHandle;

/**
 * Puts machine code into executable memory and hands back a handle that calls it: the one thing the
 * compiler needs from a JIT memory manager, kept this narrow so that any code buffer can stand behind it.
 * {@link PageAllocatorCodeLoader} is the implementation on the {@code jit} layer's {@link dev.pagealloc.jit.JitMemory}.
 *
 * @implSpec Implementations are thread-safe; the handle of a {@link LoadedCode} may be invoked from any
 *     thread until the code is closed.
 */
public interface CodeLoader {

    /**
     * Copies {@code code} into fresh executable memory, never writable and executable at once, and makes
     * every thread's instruction fetches see it.
     *
     * <p><b>Restricted.</b> Running machine code can crash the JVM or corrupt memory: the caller vouches
     * for {@code code} and {@code type}. Runs only for a caller whose module has native access (see
     * {@link dev.pagealloc.spi.NativeAccess}).
     *
     * @param code the machine code of one function, entered at its first byte; not empty
     * @param type the function's C signature
     * @return the loaded code, whose handle has the type {@code type} maps to
     * @throws IllegalCallerException if the caller's module has no native access
     * @throws IllegalArgumentException if {@code code} is empty
     * @throws NullPointerException if an argument is null
     * @throws IllegalStateException if the loader is closed (where it can be)
     * @throws UnsupportedOperationException if this platform gives no executable memory; nothing was mapped
     * @throws dev.pagealloc.api.PageAllocatorException if the kernel refuses memory or a protection change;
     *     nothing stays mapped
     */
    LoadedCode load(byte[] code, FunctionDescriptor type);

    /** {@return how code is made executable, in words, e.g. {@code dual mapping (memfd, rw- and r-x views)}} */
    String describe();

    /**
     * Code in executable memory, until closed.
     *
     * @implSpec Thread-safe; {@link #close()} is idempotent.
     */
    interface LoadedCode extends AutoCloseable {

        /**
         * {@return a handle calling the code}; invoking it after {@link #close()} is undefined behaviour
         * (it may crash the JVM), so the owner closes the code only once no call can start
         */
        MethodHandle handle();

        /** {@return the address of the code's first byte, where it runs (for profilers' symbol maps)} */
        long address();

        /** {@return the size of the code, in bytes} */
        long codeBytes();

        /**
         * Releases the code; idempotent. Afterwards its bytes no longer hold it: they are unmapped, or, where
         * the loader packs code into shared pages, overwritten with trap instructions (and made inaccessible
         * where the code had pages of its own) until the loader reuses or unmaps them.
         *
         * @throws dev.pagealloc.api.PageAllocatorException if the kernel refuses to unmap or protect it
         */
        @Override
        void close();
    }
}
