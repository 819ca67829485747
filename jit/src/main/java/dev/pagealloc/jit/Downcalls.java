package dev.pagealloc.jit;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One downcall handle per {@link FunctionDescriptor} (and criticality), shared by every function of
 * that type: the {@link Linker}'s downcall handle made from a descriptor alone, without an address,
 * returns a handle that takes the target address as a leading {@link MemorySegment} argument, so the
 * linker generates its stub once per type, and a function's handle is that stub with the address
 * bound ({@link MethodHandles#insertArguments}), which costs no code generation.
 *
 * <p>Thread-safe: a {@link ConcurrentHashMap} caches the handles (two threads may both link a new
 * type; one result wins, both work).
 */
final class Downcalls {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final ConcurrentHashMap<FunctionDescriptor, MethodHandle> PLAIN = new ConcurrentHashMap<>();
    private static final ConcurrentHashMap<FunctionDescriptor, MethodHandle> CRITICAL = new ConcurrentHashMap<>();

    private Downcalls() {}

    /**
     * {@return the handle of {@code descriptor} bound to the code at {@code address}}
     *
     * @param address the executable address of the function
     * @param descriptor its C signature
     * @param critical whether to link it {@link Linker.Option#critical(boolean) critical} (no thread
     *     state transition; the code must not call back into Java and should be short)
     */
    static MethodHandle bound(long address, FunctionDescriptor descriptor, boolean critical) {
        return MethodHandles.insertArguments(unbound(descriptor, critical), 0, MemorySegment.ofAddress(address));
    }

    /**
     * {@return the address-taking handle of {@code descriptor}}, as cached
     *
     * @param descriptor the C signature
     * @param critical whether linked critical
     */
    static MethodHandle unbound(FunctionDescriptor descriptor, boolean critical) {
        return critical
                ? CRITICAL.computeIfAbsent(descriptor, d -> link(d, true))
                : PLAIN.computeIfAbsent(descriptor, d -> link(d, false));
    }

    @SuppressWarnings("restricted") // see the SAFETY line
    private static MethodHandle link(FunctionDescriptor descriptor, boolean critical) {
        // SAFETY: linking only describes a C call; the handle runs code only at an address a CodeBuffer
        // binds, and it binds only its own sealed, executable code (CodeBuffer.handle checks the state).
        return critical
                ? LINKER.downcallHandle(descriptor, Linker.Option.critical(false))
                : LINKER.downcallHandle(descriptor);
    }
}
