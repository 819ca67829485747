package dev.pagealloc.macos;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * {@link MachKernel} through the Foreign Function &amp; Memory API, over {@code libSystem} (the
 * linker's default lookup on macOS): one downcall handle per function in a {@code static final}
 * field, {@code errno} captured by the linker right after each BSD call
 * ({@link Linker.Option#captureCallState}) into a per-thread buffer.
 *
 * <p>Symbols are looked up only on macOS. Elsewhere (and for a function an older macOS lacks) the
 * handle is a stand-in that throws {@link UnsupportedOperationException} naming the function, so
 * this class loads, and its descriptors can be checked, on any platform.
 *
 * <p>{@code mach_vm_address_t}, {@code mach_vm_size_t} and {@code size_t} are 64-bit on both
 * macOS ABIs (arm64, x86-64); {@code vm_map_t}, {@code vm_prot_t}, {@code kern_return_t} and
 * {@code boolean_t} are 32-bit. Addresses the kernel only reads are passed as {@code long}s.
 *
 * <p>Thread-safe and stateless apart from the per-thread {@code errno} buffer.
 */
final class FfmMachKernel implements MachKernel {
    /** The one instance; the handles are static. */
    static final FfmMachKernel INSTANCE = new FfmMachKernel();

    /** Whether this JVM runs on macOS, the only place the symbols are looked up. */
    static final boolean ON_MACOS = System.getProperty("os.name", "").startsWith("Mac");

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBSYSTEM = ON_MACOS ? LINKER.defaultLookup() : name -> Optional.empty();
    /** Every function bound, by C name, in declaration order; a name declared twice fails class initialization. */
    private static final Map<String, FunctionDescriptor> DECLARED = new LinkedHashMap<>();
    private static final StructLayout CALL_STATE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final ThreadLocal<MemorySegment> CALL_STATE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CALL_STATE_LAYOUT));

    private static final MethodHandle MACH_VM_ALLOCATE = mach("mach_vm_allocate",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle MACH_VM_DEALLOCATE = mach("mach_vm_deallocate",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle MACH_VM_PROTECT = mach("mach_vm_protect",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT));
    private static final MethodHandle MACH_VM_COPY = mach("mach_vm_copy",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle MACH_VM_PURGABLE_CONTROL = mach("mach_vm_purgable_control",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT, ADDRESS));
    private static final MethodHandle MACH_VM_REMAP = mach("mach_vm_remap",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_LONG,
                    JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
    private static final MethodHandle MACH_VM_REGION = mach("mach_vm_region",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
    private static final MethodHandle MACH_ERROR_STRING = mach("mach_error_string", FunctionDescriptor.of(ADDRESS, JAVA_INT));
    private static final MethodHandle MADVISE = bsd("madvise", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT));
    private static final MethodHandle MMAP = bsd("mmap",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
    private static final MethodHandle MLOCK = bsd("mlock", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle PTHREAD_JIT_WRITE_PROTECT_NP = mach("pthread_jit_write_protect_np",
            FunctionDescriptor.ofVoid(JAVA_INT));
    private static final MethodHandle PTHREAD_JIT_WRITE_PROTECT_SUPPORTED_NP = mach("pthread_jit_write_protect_supported_np",
            FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle SYS_ICACHE_INVALIDATE = mach("sys_icache_invalidate",
            FunctionDescriptor.ofVoid(JAVA_LONG, JAVA_LONG));
    private static final MethodHandle SYSCTLBYNAME = bsd("sysctlbyname",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG));
    private static final MethodHandle STRERROR = mach("strerror", FunctionDescriptor.of(ADDRESS, JAVA_INT));

    private FfmMachKernel() {}

    /** A function that reports failure in its result (Mach calls, and calls that cannot fail). */
    private static MethodHandle mach(String name, FunctionDescriptor descriptor) {
        return bind(name, descriptor, false);
    }

    /** A BSD function that returns -1 and sets {@code errno}. */
    private static MethodHandle bsd(String name, FunctionDescriptor descriptor) {
        return bind(name, descriptor, true);
    }

    private static MethodHandle bind(String name, FunctionDescriptor descriptor, boolean captureErrno) {
        if (DECLARED.putIfAbsent(name, descriptor) != null) {
            throw new IllegalStateException("FfmMachKernel: " + name + " is declared twice");
        }
        Optional<MemorySegment> symbol = LIBSYSTEM.find(name);
        if (symbol.isPresent()) {
            return captureErrno
                    ? LINKER.downcallHandle(symbol.get(), descriptor, Linker.Option.captureCallState("errno"))
                    : LINKER.downcallHandle(symbol.get(), descriptor);
        }
        MethodType type = descriptor.toMethodType();
        if (captureErrno) {
            type = type.insertParameterTypes(0, MemorySegment.class);
        }
        UnsupportedOperationException missing = new UnsupportedOperationException(name + ": no such function here (os.name="
                + System.getProperty("os.name") + "); the macos provider runs only on macOS");
        MethodHandle thrower = MethodHandles.throwException(type.returnType(), UnsupportedOperationException.class)
                .bindTo(missing);
        return MethodHandles.dropArguments(thrower, 0, type.parameterList());
    }

    /** {@return every bound function's descriptor, by C name, in declaration order} */
    static Map<String, FunctionDescriptor> declared() {
        return Collections.unmodifiableMap(DECLARED);
    }

    @Override
    public int machTaskSelf() {
        MemorySegment variable = LIBSYSTEM.find("mach_task_self_").orElseThrow(() -> new UnsupportedOperationException(
                "mach_task_self_: no such variable here (os.name=" + System.getProperty("os.name") + ")"));
        // SAFETY: mach_task_self_ is a mach_port_t (4 bytes) global of libSystem, set before main().
        return variable.reinterpret(JAVA_INT.byteSize()).get(JAVA_INT, 0);
    }

    @Override
    public int machVmAllocate(int target, MemorySegment address, long size, int flags) {
        try {
            return (int) MACH_VM_ALLOCATE.invokeExact(target, address, size, flags);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int machVmDeallocate(int target, long address, long size) {
        try {
            return (int) MACH_VM_DEALLOCATE.invokeExact(target, address, size);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int machVmProtect(int task, long address, long size, int setMaximum, int newProtection) {
        try {
            return (int) MACH_VM_PROTECT.invokeExact(task, address, size, setMaximum, newProtection);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int machVmCopy(int task, long sourceAddress, long size, long destAddress) {
        try {
            return (int) MACH_VM_COPY.invokeExact(task, sourceAddress, size, destAddress);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int machVmPurgableControl(int task, long address, int control, MemorySegment state) {
        try {
            return (int) MACH_VM_PURGABLE_CONTROL.invokeExact(task, address, control, state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int machVmRemap(int targetTask, MemorySegment targetAddress, long size, long mask, int flags, int srcTask,
            long srcAddress, int copy, MemorySegment curProtection, MemorySegment maxProtection, int inheritance) {
        try {
            return (int) MACH_VM_REMAP.invokeExact(targetTask, targetAddress, size, mask, flags, srcTask, srcAddress, copy,
                    curProtection, maxProtection, inheritance);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int machVmRegion(int task, MemorySegment address, MemorySegment size, int flavor, MemorySegment info,
            MemorySegment infoCount, MemorySegment objectName) {
        try {
            return (int) MACH_VM_REGION.invokeExact(task, address, size, flavor, info, infoCount, objectName);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public String machErrorString(int errorValue) {
        try {
            return cString((MemorySegment) MACH_ERROR_STRING.invokeExact(errorValue));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int madvise(long addr, long len, int advice) {
        try {
            return (int) MADVISE.invokeExact(CALL_STATE.get(), addr, len, advice);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public long mmap(long addr, long len, int prot, int flags, int fd, long offset) {
        try {
            return (long) MMAP.invokeExact(CALL_STATE.get(), addr, len, prot, flags, fd, offset);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int mlock(long addr, long len) {
        try {
            return (int) MLOCK.invokeExact(CALL_STATE.get(), addr, len);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public void pthreadJitWriteProtectNp(int enabled) {
        try {
            PTHREAD_JIT_WRITE_PROTECT_NP.invokeExact(enabled);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int pthreadJitWriteProtectSupportedNp() {
        try {
            return (int) PTHREAD_JIT_WRITE_PROTECT_SUPPORTED_NP.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public void sysIcacheInvalidate(long start, long len) {
        try {
            SYS_ICACHE_INVALIDATE.invokeExact(start, len);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int sysctlbyname(String name, MemorySegment oldp, MemorySegment oldlenp, MemorySegment newp, long newlen) {
        try (Arena arena = Arena.ofConfined()) {
            return (int) SYSCTLBYNAME.invokeExact(CALL_STATE.get(), arena.allocateFrom(name), oldp, oldlenp, newp, newlen);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int errno() {
        return (int) ERRNO.get(CALL_STATE.get(), 0L);
    }

    @Override
    public String strerror(int errnum) {
        try {
            return cString((MemorySegment) STRERROR.invokeExact(errnum));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static String cString(MemorySegment pointer) {
        // SAFETY: mach_error_string and strerror return NUL-terminated static strings shorter than 1 KiB.
        return pointer.address() == 0 ? "" : pointer.reinterpret(1024).getString(0);
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException("unexpected checked exception from a downcall", t);
    }
}
