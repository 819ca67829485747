package dev.pagealloc.linux;

import java.util.Map;
import java.util.StringJoiner;

/**
 * The values of the Linux user-space ABI this module passes to the kernel, each with the header it
 * comes from, the names of the errors the calls return, and how flags are spelled in messages.
 * The values are the same on x86-64 and arm64 (both use the generic {@code mman} flag layout);
 * system call numbers differ and live in {@link FfmLinuxKernel}.
 *
 * <p>Constants only, no state: thread-safe.
 */
final class LinuxAbi {
    private LinuxAbi() {}

    // <bits/mman-linux.h> (glibc) = <asm-generic/mman-common.h> (kernel)
    /** {@code PROT_NONE 0x0}, {@code <bits/mman-linux.h>}. */
    static final int PROT_NONE = 0x0;
    /** {@code PROT_READ 0x1}, {@code <bits/mman-linux.h>}. */
    static final int PROT_READ = 0x1;
    /** {@code PROT_WRITE 0x2}, {@code <bits/mman-linux.h>}. */
    static final int PROT_WRITE = 0x2;
    /** {@code PROT_EXEC 0x4}, {@code <bits/mman-linux.h>}. */
    static final int PROT_EXEC = 0x4;

    /** {@code PROT_MTE 0x20}, arm64 {@code arch/arm64/include/uapi/asm/mman.h}: tagged memory (MTE). */
    static final int PROT_MTE = 0x20;

    // include/uapi/linux/prctl.h: the tagged address ABI and its MTE controls (arm64)
    /** {@code PR_SET_TAGGED_ADDR_CTRL 55}. */
    static final int PR_SET_TAGGED_ADDR_CTRL = 55;
    /** {@code PR_GET_TAGGED_ADDR_CTRL 56}. */
    static final int PR_GET_TAGGED_ADDR_CTRL = 56;
    /** {@code PR_TAGGED_ADDR_ENABLE (1UL << 0)}. */
    static final long PR_TAGGED_ADDR_ENABLE = 1L;
    /** {@code PR_MTE_TCF_NONE 0}: no tag check faults. */
    static final long PR_MTE_TCF_NONE = 0;
    /** {@code PR_MTE_TCF_SYNC (1UL << 1)}. */
    static final long PR_MTE_TCF_SYNC = 1L << 1;
    /** {@code PR_MTE_TCF_ASYNC (1UL << 2)}. */
    static final long PR_MTE_TCF_ASYNC = 1L << 2;
    /** {@code PR_MTE_TCF_MASK (PR_MTE_TCF_SYNC | PR_MTE_TCF_ASYNC)}. */
    static final long PR_MTE_TCF_MASK = PR_MTE_TCF_SYNC | PR_MTE_TCF_ASYNC;
    /** {@code PR_MTE_TAG_SHIFT 3}: the include mask of random tag generation starts here. */
    static final int PR_MTE_TAG_SHIFT = 3;
    /** {@code PR_MTE_TAG_MASK (0xffffUL << PR_MTE_TAG_SHIFT)}. */
    static final long PR_MTE_TAG_MASK = 0xFFFFL << PR_MTE_TAG_SHIFT;
    /** {@code SEGV_MTEAERR 8}, {@code include/uapi/asm-generic/siginfo.h}: an asynchronous tag check fault. */
    static final int SEGV_MTEAERR = 8;
    /** {@code SEGV_MTESERR 9}, {@code include/uapi/asm-generic/siginfo.h}: a synchronous tag check fault. */
    static final int SEGV_MTESERR = 9;

    /** {@code MAP_SHARED 0x01}, {@code <bits/mman-linux.h>}. */
    static final int MAP_SHARED = 0x01;
    /** {@code MAP_PRIVATE 0x02}, {@code <bits/mman-linux.h>}. */
    static final int MAP_PRIVATE = 0x02;
    /** {@code MAP_FIXED 0x10}, {@code <bits/mman-linux.h>}. */
    static final int MAP_FIXED = 0x10;
    /** {@code MAP_ANONYMOUS 0x20}, {@code <bits/mman-linux.h>}. */
    static final int MAP_ANONYMOUS = 0x20;
    /** {@code MAP_NORESERVE 0x4000}, {@code <bits/mman-map-flags-generic.h>}. */
    static final int MAP_NORESERVE = 0x4000;
    /** {@code MAP_HUGETLB 0x40000}, {@code <bits/mman-map-flags-generic.h>}. */
    static final int MAP_HUGETLB = 0x40000;
    /** {@code MAP_FIXED_NOREPLACE 0x100000}, {@code <bits/mman-map-flags-generic.h>} (Linux 4.17). */
    static final int MAP_FIXED_NOREPLACE = 0x100000;
    /** {@code MAP_HUGE_SHIFT 26}, {@code <bits/mman-linux.h>}: log2(huge page size) sits above it. */
    static final int MAP_HUGE_SHIFT = 26;
    /** {@code MAP_HUGE_MASK 0x3f}, {@code <bits/mman-linux.h>}. */
    static final int MAP_HUGE_MASK = 0x3f;
    /** {@code MAP_FAILED ((void *) -1)}, {@code <sys/mman.h>}. */
    static final long MAP_FAILED = -1L;

    /** {@code MADV_NORMAL 0}, {@code <bits/mman-linux.h>}: clears {@code sr} and {@code rr}. */
    static final int MADV_NORMAL = 0;
    /** {@code MADV_RANDOM 1}, {@code <bits/mman-linux.h>}: smaps shows {@code rr}. */
    static final int MADV_RANDOM = 1;
    /** {@code MADV_SEQUENTIAL 2}, {@code <bits/mman-linux.h>}: smaps shows {@code sr}. */
    static final int MADV_SEQUENTIAL = 2;
    /** {@code MADV_FREE 8}, {@code <bits/mman-linux.h>} (Linux 4.5): smaps counts the pages as {@code LazyFree}. */
    static final int MADV_FREE = 8;
    /** {@code MADV_WILLNEED 3}, {@code <bits/mman-linux.h>}. */
    static final int MADV_WILLNEED = 3;
    /** {@code MADV_DONTNEED 4}, {@code <bits/mman-linux.h>}. */
    static final int MADV_DONTNEED = 4;
    /** {@code MADV_HUGEPAGE 14}, {@code <bits/mman-linux.h>}. */
    static final int MADV_HUGEPAGE = 14;
    /** {@code MADV_NOHUGEPAGE 15}, {@code <bits/mman-linux.h>}. */
    static final int MADV_NOHUGEPAGE = 15;
    /** {@code MADV_DONTDUMP 16}, {@code <bits/mman-linux.h>}: smaps shows {@code dd}. */
    static final int MADV_DONTDUMP = 16;
    /** {@code MADV_DODUMP 17}, {@code <bits/mman-linux.h>}. */
    static final int MADV_DODUMP = 17;
    /** {@code MADV_POPULATE_WRITE 23}, {@code <bits/mman-linux.h>} (Linux 5.14). */
    static final int MADV_POPULATE_WRITE = 23;
    /** {@code MADV_DONTNEED_LOCKED 24}, {@code <bits/mman-linux.h>} (Linux 5.18). */
    static final int MADV_DONTNEED_LOCKED = 24;

    // <linux/mempolicy.h> (also <numaif.h>)
    /** {@code MPOL_PREFERRED 1}, {@code <linux/mempolicy.h>}. */
    static final int MPOL_PREFERRED = 1;
    /** {@code MPOL_BIND 2}, {@code <linux/mempolicy.h>}. */
    static final int MPOL_BIND = 2;
    /** {@code MPOL_INTERLEAVE 3}, {@code <linux/mempolicy.h>}. */
    static final int MPOL_INTERLEAVE = 3;
    /** {@code MPOL_F_NODE (1 << 0)}, {@code <linux/mempolicy.h>}: return a node id, not a policy. */
    static final int MPOL_F_NODE = 1;
    /** {@code MPOL_F_ADDR (1 << 1)}, {@code <linux/mempolicy.h>}: look up the policy at an address. */
    static final int MPOL_F_ADDR = 2;

    /** {@code _SC_PAGESIZE 30}, {@code <bits/confname.h>}. */
    static final int SC_PAGESIZE = 30;
    /** {@code AT_PAGESZ 6}, {@code <uapi/linux/auxvec.h>}: the system page size the kernel passes every process. */
    static final long AT_PAGESZ = 6;
    /** {@code AT_HWCAP2 26}, {@code <linux/auxvec.h>}. */
    static final long AT_HWCAP2 = 26;
    /** {@code HWCAP2_MTE (1 << 18)}, arm64 {@code <asm/hwcap.h>}. */
    static final long HWCAP2_MTE = 1L << 18;
    /** {@code MFD_CLOEXEC 0x0001}, {@code <linux/memfd.h>}. */
    static final int MFD_CLOEXEC = 0x1;
    /** {@code MFD_ALLOW_SEALING 0x0002}, {@code <linux/memfd.h>}. */
    static final int MFD_ALLOW_SEALING = 0x2;
    /** {@code F_ADD_SEALS (F_LINUX_SPECIFIC_BASE + 9)} = 1033, {@code <linux/fcntl.h>}. */
    static final int F_ADD_SEALS = 1033;
    /** {@code F_SEAL_SEAL 0x0001}, {@code <linux/fcntl.h>}: no further seals. */
    static final int F_SEAL_SEAL = 0x1;
    /** {@code F_SEAL_SHRINK 0x0002}, {@code <linux/fcntl.h>}. */
    static final int F_SEAL_SHRINK = 0x2;
    /** {@code F_SEAL_GROW 0x0004}, {@code <linux/fcntl.h>}. */
    static final int F_SEAL_GROW = 0x4;
    /** {@code F_SEAL_WRITE 0x0008}, {@code <linux/fcntl.h>}: refused while a writable shared mapping exists. */
    static final int F_SEAL_WRITE = 0x8;

    // <asm-generic/errno-base.h> and <asm-generic/errno.h>
    /** {@code EPERM 1}. */
    static final int EPERM = 1;
    /** {@code EAGAIN 11}. */
    static final int EAGAIN = 11;
    /** {@code ENOMEM 12}. */
    static final int ENOMEM = 12;
    /** {@code EFAULT 14}. */
    static final int EFAULT = 14;
    /** {@code EEXIST 17}. */
    static final int EEXIST = 17;
    /** {@code EINVAL 22}. */
    static final int EINVAL = 22;
    /** {@code ENOSYS 38}. */
    static final int ENOSYS = 38;

    /** The errors mmap, munmap, mprotect, madvise, mlock, mincore, mbind and memfd_create return. */
    private static final Map<Integer, String> ERRNO_NAMES = Map.ofEntries(
            Map.entry(EPERM, "EPERM"), Map.entry(2, "ENOENT"), Map.entry(4, "EINTR"), Map.entry(5, "EIO"),
            Map.entry(9, "EBADF"), Map.entry(EAGAIN, "EAGAIN"), Map.entry(ENOMEM, "ENOMEM"),
            Map.entry(13, "EACCES"), Map.entry(EFAULT, "EFAULT"), Map.entry(16, "EBUSY"),
            Map.entry(EEXIST, "EEXIST"), Map.entry(18, "EXDEV"), Map.entry(19, "ENODEV"),
            Map.entry(EINVAL, "EINVAL"), Map.entry(23, "ENFILE"), Map.entry(24, "EMFILE"),
            Map.entry(26, "ETXTBSY"), Map.entry(27, "EFBIG"), Map.entry(28, "ENOSPC"), Map.entry(34, "ERANGE"),
            Map.entry(ENOSYS, "ENOSYS"), Map.entry(75, "EOVERFLOW"), Map.entry(95, "EOPNOTSUPP"),
            Map.entry(133, "EHWPOISON"));

    /**
     * {@return the symbolic name of {@code errno}, e.g. {@code ENOMEM}, or {@code errno=N} if unknown}
     *
     * @param errno an errno value
     */
    static String errnoName(int errno) {
        String name = ERRNO_NAMES.get(errno);
        return name != null ? name : "errno=" + errno;
    }

    /**
     * {@return {@code prot} as C flags, e.g. {@code PROT_READ|PROT_WRITE}}
     *
     * @param prot {@code PROT_*} flags
     */
    static String protName(int prot) {
        if (prot == PROT_NONE) {
            return "PROT_NONE";
        }
        return flags(prot, new int[] {PROT_READ, PROT_WRITE, PROT_EXEC, PROT_MTE},
                new String[] {"PROT_READ", "PROT_WRITE", "PROT_EXEC", "PROT_MTE"});
    }

    /**
     * {@return mmap {@code flags} as C flags, e.g. {@code MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE}}
     *
     * @param flags {@code MAP_*} flags, with a huge page size above {@link #MAP_HUGE_SHIFT}
     */
    static String mapFlagsName(int flags) {
        int hugeShift = (flags >>> MAP_HUGE_SHIFT) & MAP_HUGE_MASK;
        String named = flags(flags & ~(MAP_HUGE_MASK << MAP_HUGE_SHIFT),
                new int[] {MAP_SHARED, MAP_PRIVATE, MAP_FIXED, MAP_FIXED_NOREPLACE, MAP_ANONYMOUS, MAP_NORESERVE,
                    MAP_HUGETLB},
                new String[] {"MAP_SHARED", "MAP_PRIVATE", "MAP_FIXED", "MAP_FIXED_NOREPLACE", "MAP_ANONYMOUS",
                    "MAP_NORESERVE", "MAP_HUGETLB"});
        return hugeShift == 0 ? named : named + "|" + hugeShift + "<<MAP_HUGE_SHIFT";
    }

    /**
     * {@return the madvise {@code advice} by name, e.g. {@code MADV_DONTNEED}}
     *
     * @param advice an {@code MADV_*} value
     */
    static String adviceName(int advice) {
        return switch (advice) {
            case MADV_NORMAL -> "MADV_NORMAL";
            case MADV_RANDOM -> "MADV_RANDOM";
            case MADV_SEQUENTIAL -> "MADV_SEQUENTIAL";
            case MADV_FREE -> "MADV_FREE";
            case MADV_WILLNEED -> "MADV_WILLNEED";
            case MADV_DONTNEED -> "MADV_DONTNEED";
            case MADV_DONTDUMP -> "MADV_DONTDUMP";
            case MADV_DODUMP -> "MADV_DODUMP";
            case MADV_HUGEPAGE -> "MADV_HUGEPAGE";
            case MADV_NOHUGEPAGE -> "MADV_NOHUGEPAGE";
            case MADV_POPULATE_WRITE -> "MADV_POPULATE_WRITE";
            case MADV_DONTNEED_LOCKED -> "MADV_DONTNEED_LOCKED";
            default -> Integer.toString(advice);
        };
    }

    /**
     * {@return the mbind {@code mode} by name, e.g. {@code MPOL_BIND}}
     *
     * @param mode an {@code MPOL_*} mode
     */
    static String policyName(int mode) {
        return switch (mode) {
            case MPOL_PREFERRED -> "MPOL_PREFERRED";
            case MPOL_BIND -> "MPOL_BIND";
            case MPOL_INTERLEAVE -> "MPOL_INTERLEAVE";
            default -> Integer.toString(mode);
        };
    }

    private static String flags(int value, int[] bits, String[] names) {
        StringJoiner joined = new StringJoiner("|");
        int rest = value;
        for (int i = 0; i < bits.length; i++) {
            if ((value & bits[i]) != 0) {
                joined.add(names[i]);
                rest &= ~bits[i];
            }
        }
        if (rest != 0) {
            joined.add("0x" + Integer.toHexString(rest));
        }
        return joined.toString();
    }
}
