package dev.pagealloc.linux;

/**
 * The libc functions and system calls this module uses, one method each, with their C names,
 * C argument order and raw results: {@code -1} (or {@code MAP_FAILED}) on failure, with the error
 * then read through {@link #errno()}. Pointers are {@code long} addresses; output arrays stand in
 * for C out-parameters. Constants are in {@link LinuxAbi}.
 *
 * <p>{@link LinuxVirtualMemory} is written against this interface so that tests can inject kernel
 * failures (the test kit's {@code FailureInjector} over the real {@link FfmLinuxKernel}) and check
 * the exact calls made (Mockito).
 *
 * <p>Each method is the C function of the same name in camel case ({@code memfd_create} is
 * {@code memfdCreate}, {@code mach_vm_allocate} {@code machVmAllocate}, {@code VirtualAlloc}
 * {@code virtualAlloc}), the one naming rule of the three {@code <Os>Kernel} interfaces.
 *
 * @implSpec Implementations are thread-safe; {@link #errno()} is per thread, as in C.
 */
interface LinuxKernel {

    /**
     * {@code void *mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset)}.
     *
     * @param addr the hint or, with {@code MAP_FIXED}, the exact address
     * @param length the length, in bytes
     * @param prot {@code PROT_*} flags
     * @param flags {@code MAP_*} flags
     * @param fd a file descriptor, or -1 for anonymous memory
     * @param offset the file offset, in bytes
     * @return the mapping's address, or {@link LinuxAbi#MAP_FAILED} with {@link #errno()} set
     */
    long mmap(long addr, long length, int prot, int flags, int fd, long offset);

    /**
     * {@code int munmap(void *addr, size_t length)}.
     *
     * @param addr the first page
     * @param length the length, in bytes
     * @return 0, or -1 with {@link #errno()} set
     */
    int munmap(long addr, long length);

    /**
     * {@code int mprotect(void *addr, size_t length, int prot)}.
     *
     * @param addr the first page
     * @param length the length, in bytes
     * @param prot {@code PROT_*} flags
     * @return 0, or -1 with {@link #errno()} set
     */
    int mprotect(long addr, long length, int prot);

    /**
     * {@code int madvise(void *addr, size_t length, int advice)}.
     *
     * @param addr the first page
     * @param length the length, in bytes
     * @param advice an {@code MADV_*} value
     * @return 0, or -1 with {@link #errno()} set
     */
    int madvise(long addr, long length, int advice);

    /**
     * {@code int mlock(const void *addr, size_t length)}.
     *
     * @param addr the first page
     * @param length the length, in bytes
     * @return 0, or -1 with {@link #errno()} set
     */
    int mlock(long addr, long length);

    /**
     * {@code int munlock(const void *addr, size_t length)}.
     *
     * @param addr the first page
     * @param length the length, in bytes
     * @return 0, or -1 with {@link #errno()} set
     */
    int munlock(long addr, long length);

    /**
     * {@code int mincore(void *addr, size_t length, unsigned char *vec)}.
     *
     * @param addr the first page
     * @param length the length, in bytes
     * @param vec receives one byte per page, bit 0 set when the page is resident; at least
     *     {@code ceil(length / page size)} long
     * @return 0, or -1 with {@link #errno()} set
     */
    int mincore(long addr, long length, byte[] vec);

    /**
     * {@code long syscall(SYS_prctl, int option, unsigned long arg2, arg3, arg4, arg5)}: {@code prctl} is
     * variadic in glibc, so it goes through {@code syscall} with fixed arguments, as the kernel takes them.
     * Per thread.
     *
     * @param option a {@code PR_*} option
     * @param arg2 the option's argument
     * @param arg3 0 unless the option says otherwise (the tagged-address options demand 0)
     * @param arg4 0 likewise
     * @param arg5 0 likewise
     * @return the option's result (0 for a set), or -1 with {@link #errno()} set
     * @throws UnsupportedOperationException if the binding is missing (a test double)
     */
    default long prctl(int option, long arg2, long arg3, long arg4, long arg5) {
        throw new UnsupportedOperationException("prctl is not bound by " + getClass().getSimpleName());
    }

    /**
     * {@code long syscall(SYS_mbind, void *addr, unsigned long len, int mode, const unsigned long
     * *nodemask, unsigned long maxnode, unsigned int flags)}; glibc exports no {@code mbind}.
     *
     * @param addr the first page
     * @param len the length, in bytes
     * @param mode an {@code MPOL_*} mode
     * @param nodemask one bit per node, node {@code n} at bit {@code n % 64} of word {@code n / 64}
     * @param maxnode the number of bits in {@code nodemask} plus one (the kernel counts one less)
     * @param flags {@code MPOL_MF_*} flags
     * @return 0, or -1 with {@link #errno()} set
     */
    long mbind(long addr, long len, int mode, long[] nodemask, long maxnode, int flags);

    /**
     * {@code long syscall(SYS_get_mempolicy, int *mode, unsigned long *nodemask, unsigned long
     * maxnode, void *addr, unsigned long flags)}.
     *
     * @param mode receives the policy in {@code mode[0]}, or the node with {@code MPOL_F_NODE}
     * @param nodemask receives the policy's node mask, or null
     * @param maxnode the number of bits {@code nodemask} holds plus one, or 0 when it is null
     * @param addr the address looked up with {@code MPOL_F_ADDR}
     * @param flags {@code MPOL_F_*} flags
     * @return 0, or -1 with {@link #errno()} set
     */
    long getMempolicy(int[] mode, long[] nodemask, long maxnode, long addr, int flags);

    /**
     * {@code int memfd_create(const char *name, unsigned int flags)}.
     *
     * @param name the name shown in {@code /proc/self/fd}, for debugging
     * @param flags {@code MFD_*} flags
     * @return a file descriptor, or -1 with {@link #errno()} set
     */
    int memfdCreate(String name, int flags);

    /**
     * {@code int close(int fd)}.
     *
     * @param fd a file descriptor
     * @return 0, or -1 with {@link #errno()} set
     */
    int close(int fd);

    /**
     * {@code long sysconf(int name)}.
     *
     * @param name a {@code _SC_*} value
     * @return the value, or -1
     */
    long sysconf(int name);

    /**
     * {@code unsigned long getauxval(unsigned long type)}.
     *
     * @param type an {@code AT_*} value
     * @return the value, or 0 if absent
     */
    long getauxval(long type);

    /**
     * {@code char *strerror(int errnum)}, copied into a Java string.
     *
     * @param errnum an errno value
     * @return the C library's text for it, e.g. {@code Cannot allocate memory}
     */
    String strerror(int errnum);

    /**
     * {@code int ftruncate(int fd, off_t length)}.
     *
     * @param fd a file descriptor
     * @param length the new size, in bytes
     * @return 0, or -1 with {@link #errno()} set
     */
    int ftruncate(int fd, long length);

    /**
     * {@code int fcntl(int fd, int cmd, int arg)}: the integer-argument form ({@code F_ADD_SEALS}).
     *
     * @param fd a file descriptor
     * @param cmd an {@code F_*} command
     * @param arg its argument
     * @return the command's result, or -1 with {@link #errno()} set
     */
    int fcntl(int fd, int cmd, int arg);

    /**
     * {@code void __clear_cache(void *begin, void *end)} from libgcc ({@code libgcc_s.so.1}): on arm64
     * the {@code dc cvau; dsb ish; ic ivau; dsb ish; isb} sequence over the range
     * ({@code libgcc/config/aarch64/sync-cache.c}). {@code __builtin___clear_cache} is a compiler
     * builtin that compiles to the same code; it has no symbol, so a JVM calls libgcc's function.
     *
     * @param begin the first byte
     * @param end one past the last byte
     * @throws UnsupportedOperationException if libgcc_s or the symbol is missing
     */
    void clearCache(long begin, long end);

    /**
     * {@return the {@code errno} the calling thread's last failed call of this kernel left}; only
     * meaningful right after a call returned its failure value
     */
    int errno();
}
