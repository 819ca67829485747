package dev.pagealloc.macos;

import static dev.pagealloc.platform.support.NativeBinder.callState;
import static dev.pagealloc.platform.support.NativeBinder.rethrow;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.pagealloc.platform.support.NativeBinder;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
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

    private static final SymbolLookup LIBSYSTEM =
            ON_MACOS ? Linker.nativeLinker().defaultLookup() : name -> Optional.empty();
    /**
     * Functions that report failure in their result (Mach calls, and calls that cannot fail) are
     * bound plain; BSD functions that return -1 and set {@code errno} capture it.
     */
    private static final NativeBinder BINDER = NativeBinder.stubbing("FfmMachKernel", "libSystem", LIBSYSTEM, "errno",
            "the macos provider runs only on macOS");

    private static final MethodHandle MACH_VM_ALLOCATE = BINDER.bind("mach_vm_allocate",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle MACH_VM_DEALLOCATE = BINDER.bind("mach_vm_deallocate",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle MACH_VM_PROTECT = BINDER.bind("mach_vm_protect",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT));
    private static final MethodHandle MACH_VM_COPY = BINDER.bind("mach_vm_copy",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle MACH_VM_PURGABLE_CONTROL = BINDER.bind("mach_vm_purgable_control",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT, ADDRESS));
    private static final MethodHandle MACH_VM_REMAP = BINDER.bind("mach_vm_remap",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_LONG,
                    JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
    private static final MethodHandle MACH_VM_REGION = BINDER.bind("mach_vm_region",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
    private static final MethodHandle MACH_ERROR_STRING = BINDER.bind("mach_error_string",
            FunctionDescriptor.of(ADDRESS, JAVA_INT));
    private static final MethodHandle MADVISE = BINDER.bindCapturing("madvise",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT));
    private static final MethodHandle MMAP = BINDER.bindCapturing("mmap",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
    private static final MethodHandle MLOCK = BINDER.bindCapturing("mlock",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle SYS_ICACHE_INVALIDATE = BINDER.bind("sys_icache_invalidate",
            FunctionDescriptor.ofVoid(JAVA_LONG, JAVA_LONG));
    private static final MethodHandle SYSCTLBYNAME = BINDER.bindCapturing("sysctlbyname",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG));
    private static final MethodHandle STRERROR = BINDER.bind("strerror", FunctionDescriptor.of(ADDRESS, JAVA_INT));

    private FfmMachKernel() {}

    /** {@return every bound function's descriptor, by C name, in declaration order} */
    static Map<String, FunctionDescriptor> declared() {
        return BINDER.declared();
    }

    @Override
    @SuppressWarnings("restricted") // see the SAFETY line
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
            return (int) MACH_VM_REMAP.invokeExact(targetTask, targetAddress, size, mask, flags, srcTask, srcAddress,
                    copy, curProtection, maxProtection, inheritance);
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
            return (int) MADVISE.invokeExact(callState(), addr, len, advice);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public long mmap(long addr, long len, int prot, int flags, int fd, long offset) {
        try {
            return (long) MMAP.invokeExact(callState(), addr, len, prot, flags, fd, offset);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int mlock(long addr, long len) {
        try {
            return (int) MLOCK.invokeExact(callState(), addr, len);
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
            return (int) SYSCTLBYNAME.invokeExact(callState(), arena.allocateFrom(name), oldp, oldlenp, newp, newlen);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int errno() {
        return BINDER.captured();
    }

    @Override
    public String strerror(int errnum) {
        try {
            return cString((MemorySegment) STRERROR.invokeExact(errnum));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @SuppressWarnings("restricted") // see the SAFETY line
    private static String cString(MemorySegment pointer) {
        // SAFETY: mach_error_string and strerror return NUL-terminated static strings shorter than 1 KiB.
        return pointer.address() == 0 ? "" : pointer.reinterpret(1024).getString(0);
    }
}
