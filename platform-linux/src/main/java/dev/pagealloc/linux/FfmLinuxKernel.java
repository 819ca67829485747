package dev.pagealloc.linux;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * {@link LinuxKernel} through the Foreign Function &amp; Memory API: one downcall handle per
 * function in a {@code static final} field, {@code errno} captured by the linker right after each
 * call ({@link Linker.Option#captureCallState}) into a per-thread buffer, so no other native code
 * (the JVM's own) can overwrite it between the call and {@link #errno()}.
 *
 * <p>Pointers the kernel only compares or maps ({@code void *addr}) are passed as 64-bit integers:
 * on the two supported ABIs (x86-64 System V and AAPCS64) a pointer and an {@code unsigned long}
 * travel in the same register, and a {@code long} costs no {@link MemorySegment} per call.
 *
 * <p>Thread-safe and stateless apart from the per-thread {@code errno} buffer.
 */
final class FfmLinuxKernel implements LinuxKernel {
    /** The one instance; the handles are static. */
    static final FfmLinuxKernel INSTANCE = new FfmLinuxKernel();

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CALL_STATE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");
    /** Each thread's capture buffer, freed with the thread's {@link ThreadLocal} entry. */
    private static final ThreadLocal<MemorySegment> CALL_STATE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CALL_STATE_LAYOUT));

    /** System call numbers: x86-64 {@code <asm/unistd_64.h>}, arm64 {@code <asm-generic/unistd.h>}. */
    private static final boolean AARCH64 = "aarch64".equals(System.getProperty("os.arch"));
    /** {@code __NR_mbind}: 237 on x86-64, 235 on arm64. */
    static final long SYS_MBIND = AARCH64 ? 235 : 237;
    /** {@code __NR_get_mempolicy}: 239 on x86-64, 236 on arm64. */
    static final long SYS_GET_MEMPOLICY = AARCH64 ? 236 : 239;

    private static final MethodHandle MMAP = errnoCall("mmap",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
    private static final MethodHandle MUNMAP = errnoCall("munmap", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle MPROTECT =
            errnoCall("mprotect", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT));
    private static final MethodHandle MADVISE =
            errnoCall("madvise", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT));
    private static final MethodHandle MLOCK = errnoCall("mlock", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle MUNLOCK = errnoCall("munlock", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle MINCORE =
            errnoCall("mincore", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, ADDRESS));
    /** {@code syscall(SYS_mbind, addr, len, mode, nodemask, maxnode, flags)}: variadic after the number. */
    private static final MethodHandle SYSCALL_MBIND = errnoCall("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_LONG),
            Linker.Option.firstVariadicArg(1));
    /** {@code syscall(SYS_get_mempolicy, mode, nodemask, maxnode, addr, flags)}. */
    private static final MethodHandle SYSCALL_GET_MEMPOLICY = errnoCall("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG),
            Linker.Option.firstVariadicArg(1));
    private static final MethodHandle MEMFD_CREATE =
            errnoCall("memfd_create", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle CLOSE = errnoCall("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle SYSCONF = call("sysconf", FunctionDescriptor.of(JAVA_LONG, JAVA_INT));
    private static final MethodHandle GETAUXVAL = call("getauxval", FunctionDescriptor.of(JAVA_LONG, JAVA_LONG));
    private static final MethodHandle STRERROR = call("strerror", FunctionDescriptor.of(ADDRESS, JAVA_INT));

    private FfmLinuxKernel() {}

    private static MethodHandle errnoCall(String name, FunctionDescriptor descriptor, Linker.Option... more) {
        Linker.Option[] options = new Linker.Option[more.length + 1];
        options[0] = CAPTURE_ERRNO;
        System.arraycopy(more, 0, options, 1, more.length);
        return call(name, descriptor, options);
    }

    @SuppressWarnings("restricted") // linking libc is this class's job; descriptors follow the C prototypes
    private static MethodHandle call(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        MemorySegment symbol = LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("libc has no function " + name));
        return LINKER.downcallHandle(symbol, descriptor, options);
    }

    @Override
    public long mmap(long addr, long length, int prot, int flags, int fd, long offset) {
        try {
            return (long) MMAP.invokeExact(CALL_STATE.get(), addr, length, prot, flags, fd, offset);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int munmap(long addr, long length) {
        try {
            return (int) MUNMAP.invokeExact(CALL_STATE.get(), addr, length);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int mprotect(long addr, long length, int prot) {
        try {
            return (int) MPROTECT.invokeExact(CALL_STATE.get(), addr, length, prot);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int madvise(long addr, long length, int advice) {
        try {
            return (int) MADVISE.invokeExact(CALL_STATE.get(), addr, length, advice);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int mlock(long addr, long length) {
        try {
            return (int) MLOCK.invokeExact(CALL_STATE.get(), addr, length);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int munlock(long addr, long length) {
        try {
            return (int) MUNLOCK.invokeExact(CALL_STATE.get(), addr, length);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int mincore(long addr, long length, byte[] vec) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(vec.length);
            int result = (int) MINCORE.invokeExact(CALL_STATE.get(), addr, length, out);
            MemorySegment.copy(out, JAVA_BYTE, 0, vec, 0, vec.length);
            return result;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public long mbind(long addr, long len, int mode, long[] nodemask, long maxnode, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mask = arena.allocateFrom(JAVA_LONG, nodemask);
            return (long) SYSCALL_MBIND.invokeExact(CALL_STATE.get(), SYS_MBIND, addr, len, (long) mode, mask, maxnode,
                    (long) flags);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public long get_mempolicy(int[] mode, long[] nodemask, long maxnode, long addr, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment modeOut = arena.allocate(JAVA_INT);
            MemorySegment maskOut = nodemask == null ? MemorySegment.NULL : arena.allocate(JAVA_LONG, nodemask.length);
            long result = (long) SYSCALL_GET_MEMPOLICY.invokeExact(CALL_STATE.get(), SYS_GET_MEMPOLICY, modeOut, maskOut,
                    maxnode, addr, (long) flags);
            mode[0] = modeOut.get(JAVA_INT, 0);
            if (nodemask != null) {
                MemorySegment.copy(maskOut, JAVA_LONG, 0, nodemask, 0, nodemask.length);
            }
            return result;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int memfd_create(String name, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            return (int) MEMFD_CREATE.invokeExact(CALL_STATE.get(), arena.allocateFrom(name), flags);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int close(int fd) {
        try {
            return (int) CLOSE.invokeExact(CALL_STATE.get(), fd);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public long sysconf(int name) {
        try {
            return (long) SYSCONF.invokeExact(name);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public long getauxval(long type) {
        try {
            return (long) GETAUXVAL.invokeExact(type);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    @SuppressWarnings("restricted") // see the SAFETY line
    public String strerror(int errnum) {
        try {
            MemorySegment text = (MemorySegment) STRERROR.invokeExact(errnum);
            // SAFETY: strerror returns a NUL-terminated string that stays valid until the next
            // strerror call on this thread; getString stops at the NUL, so the unbounded size is
            // never read past it.
            return text.reinterpret(Long.MAX_VALUE).getString(0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int errno() {
        return (int) ERRNO.get(CALL_STATE.get(), 0L);
    }

    /**
     * {@code invokeExact} declares {@code Throwable}, but a downcall only throws what the JVM
     * throws (out of memory, stack overflow, a closed arena): those pass on unchanged, never
     * turned into a system call error or swallowed.
     */
    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new AssertionError("a downcall threw a checked exception", t);
    }
}
