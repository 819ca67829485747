package dev.pagealloc.testkit.sim;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * A simulated Linux arm64 kernel and CPU with the Memory Tagging Extension, for code that cannot run on MTE
 * hardware here. It enforces the documented rules (Documentation/arch/arm64/memory-tagging-extension.rst),
 * with values from {@code include/uapi/linux/prctl.h} and {@code arch/arm64/include/uapi/asm/mman.h}:
 * <ul>
 *   <li>{@code prctl(PR_SET_TAGGED_ADDR_CTRL, ctrl, 0, 0, 0)} is per thread; bits outside
 *       {@code PR_TAGGED_ADDR_ENABLE}, and without MTE the {@code PR_MTE_*} bits, or a non-zero
 *       {@code arg3..arg5}, are {@code EINVAL} ({@code kernel/sys.c}, {@code arch/arm64/kernel/process.c});
 *   <li>{@code PROT_MTE} is {@code EINVAL} without MTE ({@code arch_validate_prot}) and on mappings that are
 *       not anonymous ({@code arch_validate_flags}: only {@code VM_MTE_ALLOWED} ones); an {@code mprotect}
 *       without it keeps a mapping tagged ({@code mm/mprotect.c}: {@code VM_MTE} is not among the flags it
 *       clears);
 *   <li>fresh pages' tags are 0, and {@code MADV_DONTNEED} drops pages with their tags;
 *   <li>{@code IRG} picks among the tags the thread's include mask allows and its exclusion operand does not
 *       exclude, 0 when none is left (Arm ARM: {@code GCR_EL1.Exclude}); {@code STG}/{@code LDG} store and load
 *       a granule's tag; stores of tags to untagged memory are ignored and their loads read 0;
 *   <li>an access checks the pointer's tag when the thread's mode is not {@code PR_MTE_TCF_NONE} and the page
 *       is tagged: {@code SYNC} faults at once ({@code SEGV_MTESERR}), {@code ASYNC} records the fault for the
 *       next kernel entry ({@code SEGV_MTEAERR}), both bits set checks loads synchronously and stores
 *       asynchronously (asymmetric, {@code FEAT_MTE3}).
 * </ul>
 *
 * <p>Thread-safe: every method is synchronized; the tagged-address control is per thread, as on Linux.
 */
public final class SimulatedMte {
    /** {@code PROT_READ}. */
    public static final int PROT_READ = 0x1;
    /** {@code PROT_WRITE}. */
    public static final int PROT_WRITE = 0x2;
    /** {@code PROT_MTE 0x20}. */
    public static final int PROT_MTE = 0x20;
    /** {@code MADV_DONTNEED 4}. */
    public static final int MADV_DONTNEED = 4;
    /** {@code PR_SET_TAGGED_ADDR_CTRL 55}. */
    public static final int PR_SET_TAGGED_ADDR_CTRL = 55;
    /** {@code PR_GET_TAGGED_ADDR_CTRL 56}. */
    public static final int PR_GET_TAGGED_ADDR_CTRL = 56;
    /** {@code PR_TAGGED_ADDR_ENABLE}. */
    public static final long PR_TAGGED_ADDR_ENABLE = 1;
    /** {@code PR_MTE_TCF_SYNC}. */
    public static final long PR_MTE_TCF_SYNC = 1L << 1;
    /** {@code PR_MTE_TCF_ASYNC}. */
    public static final long PR_MTE_TCF_ASYNC = 1L << 2;
    /** {@code PR_MTE_TAG_SHIFT}. */
    public static final int PR_MTE_TAG_SHIFT = 3;
    /** {@code PR_MTE_TAG_MASK}. */
    public static final long PR_MTE_TAG_MASK = 0xFFFFL << PR_MTE_TAG_SHIFT;
    /** {@code EINVAL 22}. */
    public static final int EINVAL = 22;
    /** {@code SEGV_MTEAERR 8}. */
    public static final int SEGV_MTEAERR = 8;
    /** {@code SEGV_MTESERR 9}. */
    public static final int SEGV_MTESERR = 9;

    private static final long PAGE = 4096;

    /** A tag check fault: the signal the kernel would deliver. */
    public static final class TagCheckFault extends RuntimeException {
        private static final long serialVersionUID = 1L;
        /** {@code si_code}: {@link #SEGV_MTESERR} or {@link #SEGV_MTEAERR}. */
        private final int code;

        TagCheckFault(int code, long address) {
            super("SIGSEGV si_code=" + code + " at 0x" + Long.toHexString(address));
            this.code = code;
        }

        /** {@return the {@code si_code}} */
        public int code() {
            return code;
        }
    }

    private record Mapping(long start, long end, boolean anonymous) {
    }

    private final boolean cpuHasMte;
    private final TreeMap<Long, Mapping> mappings = new TreeMap<>();
    private final Map<Long, Boolean> taggedPages = new HashMap<>();
    private final Map<Long, Integer> tags = new HashMap<>();
    private final ThreadLocal<long[]> control = ThreadLocal.withInitial(() -> new long[1]);
    private final ThreadLocal<int[]> errno = ThreadLocal.withInitial(() -> new int[1]);
    private final ThreadLocal<TagCheckFault[]> pending = ThreadLocal.withInitial(() -> new TagCheckFault[1]);
    private final Random random = new Random(42);
    private long next = 0x10_0000_0000L;

    /**
     * Creates the simulation.
     *
     * @param cpuHasMte whether {@code HWCAP2_MTE} is set
     */
    public SimulatedMte(boolean cpuHasMte) {
        this.cpuHasMte = cpuHasMte;
    }

    /**
     * {@return the address of a new read-write mapping}, page-aligned
     *
     * @param byteSize the length, in bytes; a multiple of 4096
     * @param anonymous {@code true} for {@code MAP_ANONYMOUS}, {@code false} for a regular file
     */
    public synchronized long map(long byteSize, boolean anonymous) {
        long start = next;
        next += byteSize + PAGE;
        mappings.put(start, new Mapping(start, start + byteSize, anonymous));
        return start;
    }

    /** {@return the calling thread's {@code errno} after a failed call} */
    public synchronized int errno() {
        return errno.get()[0];
    }

    private int fail(int code) {
        errno.get()[0] = code;
        return -1;
    }

    /**
     * {@code mprotect}.
     *
     * @param address the first page
     * @param byteSize the length, in bytes
     * @param prot {@code PROT_*}
     * @return 0, or -1 with {@link #errno()}
     */
    public synchronized int mprotect(long address, long byteSize, int prot) {
        Map.Entry<Long, Mapping> e = mappings.floorEntry(address);
        if (e == null || address + byteSize > e.getValue().end() || (address & (PAGE - 1)) != 0) {
            return fail(12); // ENOMEM: not mapped
        }
        if ((prot & PROT_MTE) != 0) {
            if (!cpuHasMte || !e.getValue().anonymous()) {
                return fail(EINVAL);
            }
            for (long page = address; page < address + byteSize; page += PAGE) {
                taggedPages.put(page, true);
            }
        }
        return 0;
    }

    /**
     * {@code madvise}; only {@code MADV_DONTNEED} has an effect here: the pages and their tags go.
     *
     * @param address the first page
     * @param byteSize the length, in bytes
     * @param advice {@code MADV_*}
     * @return 0
     */
    public synchronized int madvise(long address, long byteSize, int advice) {
        if (advice == MADV_DONTNEED) {
            for (long g = address; g < address + byteSize; g += 16) {
                tags.remove(g);
            }
        }
        return 0;
    }

    /**
     * {@code prctl} with the tagged-address options.
     *
     * @param option {@code PR_*}
     * @param arg2 the control word
     * @param arg3 must be 0
     * @param arg4 must be 0
     * @param arg5 must be 0
     * @return 0 or the control word, or -1 with {@link #errno()}
     */
    public synchronized long prctl(int option, long arg2, long arg3, long arg4, long arg5) {
        if (option == PR_GET_TAGGED_ADDR_CTRL) {
            return (arg2 | arg3 | arg4 | arg5) != 0 ? fail(EINVAL) : control.get()[0];
        }
        if (option != PR_SET_TAGGED_ADDR_CTRL || (arg3 | arg4 | arg5) != 0) {
            return fail(EINVAL);
        }
        long valid = PR_TAGGED_ADDR_ENABLE | (cpuHasMte ? PR_MTE_TCF_SYNC | PR_MTE_TCF_ASYNC | PR_MTE_TAG_MASK : 0);
        if ((arg2 & ~valid) != 0) {
            return fail(EINVAL);
        }
        control.get()[0] = arg2;
        return 0;
    }

    /**
     * {@code IRG}: {@code address} with a random allowed tag in bits 59:56.
     *
     * @param address the address (its tag bits are replaced)
     * @param excludeMask tags to exclude this time, bits 0..15
     * @return the tagged address
     */
    public synchronized long irg(long address, long excludeMask) {
        int include = (int) (control.get()[0] >>> PR_MTE_TAG_SHIFT) & 0xFFFF & ~(int) excludeMask;
        int tag = 0;
        if (include != 0) {
            int[] allowed = new int[Integer.bitCount(include)];
            for (int t = 0, i = 0; t < 16; t++) {
                if ((include & 1 << t) != 0) {
                    allowed[i++] = t;
                }
            }
            tag = allowed[random.nextInt(allowed.length)];
        }
        return address & ~(0xFL << 56) | (long) tag << 56;
    }

    /**
     * {@code STG}: stores the tag of {@code taggedAddress} to its 16-byte granule.
     *
     * @param taggedAddress the granule's address with the tag in bits 59:56
     */
    public synchronized void stg(long taggedAddress) {
        long granule = taggedAddress & 0x00FF_FFFF_FFFF_FFF0L;
        if (taggedPages.containsKey(granule & ~(PAGE - 1))) {
            tags.put(granule, (int) (taggedAddress >>> 56) & 0xF);
        }
    }

    /**
     * {@code LDG}: {@code address} with its granule's tag in bits 59:56.
     *
     * @param address the address
     * @return the tagged address
     */
    public synchronized long ldg(long address) {
        long granule = address & 0x00FF_FFFF_FFFF_FFF0L;
        return address & ~(0xFL << 56) | (long) tags.getOrDefault(granule, 0) << 56;
    }

    /**
     * A load or store through {@code taggedAddress}, checked as the CPU would.
     *
     * @param taggedAddress the pointer
     * @param store {@code true} for a store
     * @throws TagCheckFault on a synchronous fault
     */
    public synchronized void access(long taggedAddress, boolean store) {
        long tcf = control.get()[0] & (PR_MTE_TCF_SYNC | PR_MTE_TCF_ASYNC);
        long granule = taggedAddress & 0x00FF_FFFF_FFFF_FFF0L;
        if (tcf == 0 || !taggedPages.containsKey(granule & ~(PAGE - 1))
                || tags.getOrDefault(granule, 0) == ((int) (taggedAddress >>> 56) & 0xF)) {
            return;
        }
        boolean synchronous = tcf == PR_MTE_TCF_SYNC || (tcf == (PR_MTE_TCF_SYNC | PR_MTE_TCF_ASYNC) && !store);
        if (synchronous) {
            throw new TagCheckFault(SEGV_MTESERR, taggedAddress);
        }
        if (pending.get()[0] == null) {
            pending.get()[0] = new TagCheckFault(SEGV_MTEAERR, 0);
        }
    }

    /**
     * Enters the kernel: delivers the calling thread's pending asynchronous fault.
     *
     * @throws TagCheckFault if one is pending
     */
    public synchronized void enterKernel() {
        TagCheckFault f = pending.get()[0];
        pending.get()[0] = null;
        if (f != null) {
            throw f;
        }
    }
}
