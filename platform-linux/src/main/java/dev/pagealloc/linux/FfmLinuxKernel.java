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
 * function in a {@code static final} field of its own holder class (linked on the function's first
 * call), {@code errno} captured by the linker right after each call
 * ({@link Linker.Option#captureCallState}) into a per-thread buffer, so no other native code (the
 * JVM's own) can overwrite it between the call and {@link #errno()}.
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
    /** {@code __NR_prctl}: 157 on x86-64, 167 on arm64. */
    static final long SYS_PRCTL = AARCH64 ? 167 : 157;

    /**
     * The libc binder; each downcall handle below sits in a holder class of its own, so a handle is linked
     * when its function is first called, not when the kernel is first named nor when another function is
     * first called. Linking one handle costs a cold JVM 3-8 ms (method handle and stub classes spun per
     * function type); the first {@code allocate} needs only {@code mmap}, {@code munmap} and
     * {@code mprotect}, so it does not pay for the other dozen. Static finals in holder classes, not
     * lazily filled fields, keep each handle a constant the JIT inlines through.
     *
     * <p>Calls that set {@code errno} capture it; {@code sysconf}, {@code getauxval}, {@code strerror}
     * cannot fail.
     */
    private static final class Libc {
        static final NativeBinder BINDER =
                NativeBinder.requiring("FfmLinuxKernel", "libc", Linker.nativeLinker().defaultLookup(), "errno");
    }

    private static final class Mmap {
        static final MethodHandle HANDLE = Libc.BINDER.bindCapturing("mmap",
                FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
    }

    private static final class Munmap {
        static final MethodHandle HANDLE =
                Libc.BINDER.bindCapturing("munmap", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG));
    }

    private static final class Mprotect {
        static final MethodHandle HANDLE = Libc.BINDER.bindCapturing("mprotect",
                FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT));
    }

    private static final class Madvise {
        static final MethodHandle HANDLE = Libc.BINDER.bindCapturing("madvise",
                FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT));
    }

    private static final class Mlock {
        static final MethodHandle HANDLE =
                Libc.BINDER.bindCapturing("mlock", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG));
    }

    private static final class Munlock {
        static final MethodHandle HANDLE =
                Libc.BINDER.bindCapturing("munlock", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG));
    }

    private static final class Mincore {
        static final MethodHandle HANDLE = Libc.BINDER.bindCapturing("mincore",
                FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, ADDRESS));
    }

    /** {@code syscall(SYS_mbind, addr, len, mode, nodemask, maxnode, flags)}: variadic after the number. */
    private static final class SyscallMbind {
        static final MethodHandle HANDLE = Libc.BINDER.bindCapturing("syscall(SYS_mbind)", "syscall",
                FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG,
                        JAVA_LONG),
                Linker.Option.firstVariadicArg(1));
    }

    /** {@code syscall(SYS_get_mempolicy, mode, nodemask, maxnode, addr, flags)}. */
    private static final class SyscallGetMempolicy {
        static final MethodHandle HANDLE = Libc.BINDER.bindCapturing("syscall(SYS_get_mempolicy)", "syscall",
                FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG),
                Linker.Option.firstVariadicArg(1));
    }

    /** {@code syscall(SYS_prctl, option, arg2, arg3, arg4, arg5)}. */
    private static final class SyscallPrctl {
        static final MethodHandle HANDLE = Libc.BINDER.bindCapturing("syscall(SYS_prctl)", "syscall",
                FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
                Linker.Option.firstVariadicArg(1));
    }

    private static final class MemfdCreate {
        static final MethodHandle HANDLE =
                Libc.BINDER.bindCapturing("memfd_create", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    }

    private static final class Close {
        static final MethodHandle HANDLE =
                Libc.BINDER.bindCapturing("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    }

    private static final class Ftruncate {
        static final MethodHandle HANDLE =
                Libc.BINDER.bindCapturing("ftruncate", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG));
    }

    /** {@code fcntl(fd, cmd, ...)}: variadic after the command. */
    private static final class Fcntl {
        static final MethodHandle HANDLE = Libc.BINDER.bindCapturing("fcntl",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2));
    }

    private static final class Sysconf {
        static final MethodHandle HANDLE = Libc.BINDER.bind("sysconf", FunctionDescriptor.of(JAVA_LONG, JAVA_INT));
    }

    private static final class Getauxval {
        static final MethodHandle HANDLE =
                Libc.BINDER.bind("getauxval", FunctionDescriptor.of(JAVA_LONG, JAVA_LONG));
    }

    private static final class Strerror {
        static final MethodHandle HANDLE = Libc.BINDER.bind("strerror", FunctionDescriptor.of(ADDRESS, JAVA_INT));
    }

    private FfmLinuxKernel() {}

    @Override
    public long mmap(long addr, long length, int prot, int flags, int fd, long offset) {
        try {
            return (long) Mmap.HANDLE.invokeExact(callState(), addr, length, prot, flags, fd, offset);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int munmap(long addr, long length) {
        try {
            return (int) Munmap.HANDLE.invokeExact(callState(), addr, length);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int mprotect(long addr, long length, int prot) {
        try {
            return (int) Mprotect.HANDLE.invokeExact(callState(), addr, length, prot);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int madvise(long addr, long length, int advice) {
        try {
            return (int) Madvise.HANDLE.invokeExact(callState(), addr, length, advice);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int mlock(long addr, long length) {
        try {
            return (int) Mlock.HANDLE.invokeExact(callState(), addr, length);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int munlock(long addr, long length) {
        try {
            return (int) Munlock.HANDLE.invokeExact(callState(), addr, length);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int mincore(long addr, long length, byte[] vec) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(vec.length);
            int result = (int) Mincore.HANDLE.invokeExact(callState(), addr, length, out);
            MemorySegment.copy(out, JAVA_BYTE, 0, vec, 0, vec.length);
            return result;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public long prctl(int option, long arg2, long arg3, long arg4, long arg5) {
        try {
            return (long) SyscallPrctl.HANDLE.invokeExact(callState(), SYS_PRCTL, (long) option, arg2, arg3, arg4,
                    arg5);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public long mbind(long addr, long len, int mode, long[] nodemask, long maxnode, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mask = arena.allocateFrom(JAVA_LONG, nodemask);
            return (long) SyscallMbind.HANDLE.invokeExact(callState(), SYS_MBIND, addr, len, (long) mode, mask,
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
            long result = (long) SyscallGetMempolicy.HANDLE.invokeExact(callState(), SYS_GET_MEMPOLICY, modeOut,
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
            return (int) MemfdCreate.HANDLE.invokeExact(callState(), arena.allocateFrom(name), flags);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int close(int fd) {
        try {
            return (int) Close.HANDLE.invokeExact(callState(), fd);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public long sysconf(int name) {
        try {
            return (long) Sysconf.HANDLE.invokeExact(name);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public long getauxval(long type) {
        try {
            return (long) Getauxval.HANDLE.invokeExact(type);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    @SuppressWarnings("restricted") // see the SAFETY line
    public String strerror(int errnum) {
        try {
            MemorySegment text = (MemorySegment) Strerror.HANDLE.invokeExact(errnum);
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
            return (int) Ftruncate.HANDLE.invokeExact(callState(), fd, length);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int fcntl(int fd, int cmd, int arg) {
        try {
            return (int) Fcntl.HANDLE.invokeExact(callState(), fd, cmd, arg);
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
        return Libc.BINDER.captured();
    }
}
