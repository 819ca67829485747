package dev.pagealloc.linux;

import static dev.pagealloc.platform.support.NativeBinder.callState;
import static dev.pagealloc.platform.support.NativeBinder.rethrow;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.pagealloc.platform.support.NativeBinder;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

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

    /** System call numbers: x86-64 {@code <asm/unistd_64.h>}, arm64 {@code <asm-generic/unistd.h>}. */
    private static final boolean AARCH64 = "aarch64".equals(System.getProperty("os.arch"));
    /** {@code __NR_mbind}: 237 on x86-64, 235 on arm64. */
    static final long SYS_MBIND = AARCH64 ? 235 : 237;
    /** {@code __NR_get_mempolicy}: 239 on x86-64, 236 on arm64. */
    static final long SYS_GET_MEMPOLICY = AARCH64 ? 236 : 239;

    /**
     * The downcall handles, linked when the first system call is made, not when the kernel is first
     * named: opening the Linux primitives (every allocator's {@code build()}) makes no call, and linking
     * ~15 stubs cost the first build of a JVM 0.1-0.2 s of CPU.
     */
    private static final class Handles {
        /**
         * Calls that set {@code errno} capture it; {@code sysconf}, {@code getauxval}, {@code strerror}
         * cannot fail.
         */
        static final NativeBinder LIBC =
                NativeBinder.requiring("FfmLinuxKernel", "libc", Linker.nativeLinker().defaultLookup(), "errno");
        static final MethodHandle MMAP = LIBC.bindCapturing("mmap",
                FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
        static final MethodHandle MUNMAP =
                LIBC.bindCapturing("munmap", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG));
        static final MethodHandle MPROTECT =
                LIBC.bindCapturing("mprotect", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT));
        static final MethodHandle MADVISE =
                LIBC.bindCapturing("madvise", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT));
        static final MethodHandle MLOCK =
                LIBC.bindCapturing("mlock", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG));
        static final MethodHandle MUNLOCK =
                LIBC.bindCapturing("munlock", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG));
        static final MethodHandle MINCORE =
                LIBC.bindCapturing("mincore", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, ADDRESS));
        /** {@code syscall(SYS_mbind, addr, len, mode, nodemask, maxnode, flags)}: variadic after the number. */
        static final MethodHandle SYSCALL_MBIND = LIBC.bindCapturing("syscall(SYS_mbind)", "syscall",
                FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG,
                        JAVA_LONG),
                Linker.Option.firstVariadicArg(1));
        /** {@code syscall(SYS_get_mempolicy, mode, nodemask, maxnode, addr, flags)}. */
        static final MethodHandle SYSCALL_GET_MEMPOLICY = LIBC.bindCapturing("syscall(SYS_get_mempolicy)", "syscall",
                FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG),
                Linker.Option.firstVariadicArg(1));
        static final MethodHandle MEMFD_CREATE =
                LIBC.bindCapturing("memfd_create", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        static final MethodHandle CLOSE = LIBC.bindCapturing("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        static final MethodHandle FTRUNCATE =
                LIBC.bindCapturing("ftruncate", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG));
        /** {@code fcntl(fd, cmd, ...)}: variadic after the command. */
        static final MethodHandle FCNTL = LIBC.bindCapturing("fcntl",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2));
        static final MethodHandle SYSCONF = LIBC.bind("sysconf", FunctionDescriptor.of(JAVA_LONG, JAVA_INT));
        static final MethodHandle GETAUXVAL = LIBC.bind("getauxval", FunctionDescriptor.of(JAVA_LONG, JAVA_LONG));
        static final MethodHandle STRERROR = LIBC.bind("strerror", FunctionDescriptor.of(ADDRESS, JAVA_INT));
    }

    private FfmLinuxKernel() {}

    @Override
    public long mmap(long addr, long length, int prot, int flags, int fd, long offset) {
        try {
            return (long) Handles.MMAP.invokeExact(callState(), addr, length, prot, flags, fd, offset);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int munmap(long addr, long length) {
        try {
            return (int) Handles.MUNMAP.invokeExact(callState(), addr, length);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int mprotect(long addr, long length, int prot) {
        try {
            return (int) Handles.MPROTECT.invokeExact(callState(), addr, length, prot);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int madvise(long addr, long length, int advice) {
        try {
            return (int) Handles.MADVISE.invokeExact(callState(), addr, length, advice);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int mlock(long addr, long length) {
        try {
            return (int) Handles.MLOCK.invokeExact(callState(), addr, length);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int munlock(long addr, long length) {
        try {
            return (int) Handles.MUNLOCK.invokeExact(callState(), addr, length);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int mincore(long addr, long length, byte[] vec) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(vec.length);
            int result = (int) Handles.MINCORE.invokeExact(callState(), addr, length, out);
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
            return (long) Handles.SYSCALL_MBIND.invokeExact(callState(), SYS_MBIND, addr, len, (long) mode, mask,
                    maxnode, (long) flags);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public long getMempolicy(int[] mode, long[] nodemask, long maxnode, long addr, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment modeOut = arena.allocate(JAVA_INT);
            MemorySegment maskOut = nodemask == null ? MemorySegment.NULL : arena.allocate(JAVA_LONG, nodemask.length);
            long result = (long) Handles.SYSCALL_GET_MEMPOLICY.invokeExact(callState(), SYS_GET_MEMPOLICY, modeOut,
                    maskOut, maxnode, addr, (long) flags);
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
    public int memfdCreate(String name, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            return (int) Handles.MEMFD_CREATE.invokeExact(callState(), arena.allocateFrom(name), flags);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int close(int fd) {
        try {
            return (int) Handles.CLOSE.invokeExact(callState(), fd);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public long sysconf(int name) {
        try {
            return (long) Handles.SYSCONF.invokeExact(name);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public long getauxval(long type) {
        try {
            return (long) Handles.GETAUXVAL.invokeExact(type);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    @SuppressWarnings("restricted") // see the SAFETY line
    public String strerror(int errnum) {
        try {
            MemorySegment text = (MemorySegment) Handles.STRERROR.invokeExact(errnum);
            // SAFETY: strerror returns a NUL-terminated string that stays valid until the next
            // strerror call on this thread; getString stops at the NUL, so the unbounded size is
            // never read past it.
            return text.reinterpret(Long.MAX_VALUE).getString(0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int ftruncate(int fd, long length) {
        try {
            return (int) Handles.FTRUNCATE.invokeExact(callState(), fd, length);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int fcntl(int fd, int cmd, int arg) {
        try {
            return (int) Handles.FCNTL.invokeExact(callState(), fd, cmd, arg);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public void clearCache(long begin, long end) {
        MethodHandle clearCache = Libgcc.CLEAR_CACHE;
        if (clearCache == null) {
            throw new UnsupportedOperationException(
                    "__clear_cache: libgcc_s.so.1 or its __clear_cache symbol is missing");
        }
        try {
            clearCache.invokeExact(begin, end);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** libgcc, loaded on first use (only arm64 needs it): not run on the x86-64 machines that built this. */
    private static final class Libgcc {
        static final MethodHandle CLEAR_CACHE = find();

        @SuppressWarnings("restricted") // see the SAFETY line
        private static MethodHandle find() {
            try {
                // SAFETY: libgcc_s is already loaded into every glibc process that unwinds; its
                // __clear_cache(void *, void *) returns nothing and only runs cache maintenance instructions.
                SymbolLookup libgcc = SymbolLookup.libraryLookup("libgcc_s.so.1", Arena.global());
                return libgcc.find("__clear_cache").map(symbol -> Linker.nativeLinker().downcallHandle(symbol,
                        FunctionDescriptor.ofVoid(JAVA_LONG, JAVA_LONG))).orElse(null);
            } catch (IllegalArgumentException missing) {
                return null;
            }
        }
    }

    @Override
    public int errno() {
        return Handles.LIBC.captured();
    }
}
