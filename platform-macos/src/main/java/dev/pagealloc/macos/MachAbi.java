package dev.pagealloc.macos;

import java.util.ArrayList;
import java.util.List;

/**
 * The macOS constants pagealloc uses, each with its value and the SDK header it comes from
 * (MacOSX.sdk {@code usr/include}), and their names for error messages. The values are ABI: they
 * are the same on arm64 and x86-64 and have not changed since the calls appeared.
 *
 * <p>Stateless and thread-safe.
 */
final class MachAbi {
    private MachAbi() {}

    // <mach/kern_return.h>
    /** {@code KERN_SUCCESS} = 0 ({@code <mach/kern_return.h>}). */
    static final int KERN_SUCCESS = 0;
    /** {@code KERN_INVALID_ADDRESS} = 1: the range is not (entirely) mapped. */
    static final int KERN_INVALID_ADDRESS = 1;
    /** {@code KERN_PROTECTION_FAILURE} = 2: the protection exceeds the maximum or breaks W^X. */
    static final int KERN_PROTECTION_FAILURE = 2;
    /** {@code KERN_NO_SPACE} = 3: no free range of that size. */
    static final int KERN_NO_SPACE = 3;
    /** {@code KERN_INVALID_ARGUMENT} = 4. */
    static final int KERN_INVALID_ARGUMENT = 4;
    /** {@code KERN_FAILURE} = 5. */
    static final int KERN_FAILURE = 5;
    /** {@code KERN_RESOURCE_SHORTAGE} = 6: the kernel ran out of memory. */
    static final int KERN_RESOURCE_SHORTAGE = 6;
    /** {@code KERN_NOT_SUPPORTED} = 46. */
    static final int KERN_NOT_SUPPORTED = 46;

    // <mach/vm_prot.h>
    /** {@code VM_PROT_NONE} = 0x0 ({@code <mach/vm_prot.h>}). */
    static final int VM_PROT_NONE = 0x0;
    /** {@code VM_PROT_READ} = 0x1. */
    static final int VM_PROT_READ = 0x1;
    /** {@code VM_PROT_WRITE} = 0x2. */
    static final int VM_PROT_WRITE = 0x2;
    /** {@code VM_PROT_EXECUTE} = 0x4. */
    static final int VM_PROT_EXECUTE = 0x4;

    // <mach/vm_statistics.h>
    /** {@code VM_FLAGS_FIXED} = 0x0 ({@code <mach/vm_statistics.h>}). */
    static final int VM_FLAGS_FIXED = 0x0;
    /** {@code VM_FLAGS_ANYWHERE} = 0x1. */
    static final int VM_FLAGS_ANYWHERE = 0x1;
    /** {@code VM_FLAGS_PURGABLE} = 0x2: the allocation is a purgeable object. */
    static final int VM_FLAGS_PURGABLE = 0x2;
    /** {@code VM_FLAGS_OVERWRITE} = 0x4000: with {@code VM_FLAGS_FIXED}, atomically replaces what is mapped. */
    static final int VM_FLAGS_OVERWRITE = 0x4000;
    /** {@code SUPERPAGE_SIZE_2MB} = 2, shifted by {@code VM_FLAGS_SUPERPAGE_SHIFT} = 16: 0x20000. */
    static final int VM_FLAGS_SUPERPAGE_SIZE_2MB = 2 << 16;
    /** {@code VM_MEMORY_APPLICATION_SPECIFIC_1} = 240: the first tag left to applications. */
    static final int VM_MEMORY_APPLICATION_SPECIFIC_1 = 240;
    /** The superpage size {@code VM_FLAGS_SUPERPAGE_SIZE_2MB} asks for, in bytes. */
    static final long SUPERPAGE_2MB_BYTES = 2L << 20;

    /**
     * {@code VM_MAKE_TAG(tag)} = {@code tag << 24}: the tag {@code vmmap} and Instruments attribute
     * an allocation to.
     *
     * @param tag 1 to 255
     * @return the flag bits
     */
    static int vmMakeTag(int tag) {
        return tag << 24;
    }

    // <mach/vm_purgable.h>
    /** {@code VM_PURGABLE_SET_STATE} = 0 ({@code <mach/vm_purgable.h>}). */
    static final int VM_PURGABLE_SET_STATE = 0;
    /** {@code VM_PURGABLE_GET_STATE} = 1. */
    static final int VM_PURGABLE_GET_STATE = 1;
    /** {@code VM_PURGABLE_NONVOLATILE} = 0: contents kept. */
    static final int VM_PURGABLE_NONVOLATILE = 0;
    /** {@code VM_PURGABLE_VOLATILE} = 1: the kernel may empty it under pressure. */
    static final int VM_PURGABLE_VOLATILE = 1;
    /** {@code VM_PURGABLE_EMPTY} = 2: emptied; pages read zero. */
    static final int VM_PURGABLE_EMPTY = 2;

    // <mach/vm_region.h>, <mach/vm_inherit.h>
    /** {@code VM_REGION_BASIC_INFO_64} = 9 ({@code <mach/vm_region.h>}). */
    static final int VM_REGION_BASIC_INFO_64 = 9;
    /**
     * {@code VM_REGION_BASIC_INFO_COUNT_64} = 9: {@code sizeof(vm_region_basic_info_data_64_t) / sizeof(int)}, 36
     * bytes.
     */
    static final int VM_REGION_BASIC_INFO_COUNT_64 = 9;
    /** {@code VM_INHERIT_NONE} = 2 ({@code <mach/vm_inherit.h>}). */
    static final int VM_INHERIT_NONE = 2;

    // <sys/mman.h>
    /** {@code PROT_READ} = 0x01 ({@code <sys/mman.h>}). */
    static final int PROT_READ = 0x01;
    /** {@code PROT_WRITE} = 0x02. */
    static final int PROT_WRITE = 0x02;
    /** {@code PROT_EXEC} = 0x04. */
    static final int PROT_EXEC = 0x04;
    /** {@code MAP_PRIVATE} = 0x0002. */
    static final int MAP_PRIVATE = 0x0002;
    /** {@code MAP_JIT} = 0x0800: memory that may be writable and executable, one of the two per thread. */
    static final int MAP_JIT = 0x0800;
    /** {@code MAP_ANON} = 0x1000. */
    static final int MAP_ANON = 0x1000;
    /** {@code MAP_FAILED} = {@code (void *) -1}. */
    static final long MAP_FAILED = -1;
    /** {@code MADV_NORMAL} = 0 ({@code bsd/sys/mman.h}): the default read-ahead. */
    static final int MADV_NORMAL = 0;
    /** {@code MADV_RANDOM} = 1 ({@code bsd/sys/mman.h}): no read-ahead. */
    static final int MADV_RANDOM = 1;
    /** {@code MADV_SEQUENTIAL} = 2 ({@code bsd/sys/mman.h}): aggressive read-ahead. */
    static final int MADV_SEQUENTIAL = 2;
    /** {@code MADV_FREE} = 5 ({@code bsd/sys/mman.h}): contents may be dropped unless written again. */
    static final int MADV_FREE = 5;
    /** {@code MADV_WILLNEED} = 3 ({@code bsd/sys/mman.h}): a hint, contents kept. */
    static final int MADV_WILLNEED = 3;
    /** {@code MADV_FREE_REUSABLE} = 7: contents may be dropped; not counted in the footprint. */
    static final int MADV_FREE_REUSABLE = 7;
    /** {@code MADV_FREE_REUSE} = 8: the pages are in use again; counted again. */
    static final int MADV_FREE_REUSE = 8;

    // <sys/errno.h>
    /** {@code EPERM} = 1 ({@code <sys/errno.h>}). */
    static final int EPERM = 1;
    /** {@code ENOENT} = 2. */
    static final int ENOENT = 2;
    /** {@code ENOMEM} = 12. */
    static final int ENOMEM = 12;
    /** {@code EACCES} = 13. */
    static final int EACCES = 13;
    /** {@code EINVAL} = 22. */
    static final int EINVAL = 22;
    /** {@code EAGAIN} = 35. */
    static final int EAGAIN = 35;
    /** {@code ENOTSUP} = 45. */
    static final int ENOTSUP = 45;

    /** {@return the {@code KERN_*} name of a {@code kern_return_t}} @param code the value */
    static String kernName(int code) {
        return switch (code) {
            case KERN_SUCCESS -> "KERN_SUCCESS";
            case KERN_INVALID_ADDRESS -> "KERN_INVALID_ADDRESS";
            case KERN_PROTECTION_FAILURE -> "KERN_PROTECTION_FAILURE";
            case KERN_NO_SPACE -> "KERN_NO_SPACE";
            case KERN_INVALID_ARGUMENT -> "KERN_INVALID_ARGUMENT";
            case KERN_FAILURE -> "KERN_FAILURE";
            case KERN_RESOURCE_SHORTAGE -> "KERN_RESOURCE_SHORTAGE";
            case 8 -> "KERN_NO_ACCESS";
            case 9 -> "KERN_MEMORY_FAILURE";
            case 10 -> "KERN_MEMORY_ERROR";
            case 14 -> "KERN_ABORTED";
            case 15 -> "KERN_INVALID_NAME";
            case 16 -> "KERN_INVALID_TASK";
            case 18 -> "KERN_INVALID_VALUE";
            case 23 -> "KERN_MEMORY_PRESENT";
            case KERN_NOT_SUPPORTED -> "KERN_NOT_SUPPORTED";
            case 50 -> "KERN_CODESIGN_ERROR";
            case 53 -> "KERN_DENIED";
            case 0x10000003 -> "MACH_SEND_INVALID_DEST";
            default -> "KERN_" + code;
        };
    }

    /** {@return the {@code E*} name of an errno} @param code the value */
    static String errnoName(int code) {
        return switch (code) {
            case EPERM -> "EPERM";
            case ENOENT -> "ENOENT";
            case ENOMEM -> "ENOMEM";
            case EACCES -> "EACCES";
            case EINVAL -> "EINVAL";
            case EAGAIN -> "EAGAIN";
            case ENOTSUP -> "ENOTSUP";
            default -> "E" + code;
        };
    }

    /** {@return {@code VM_PROT_*} bits in words, e.g. {@code VM_PROT_READ|VM_PROT_WRITE}} @param protection the bits */
    static String protectionName(int protection) {
        if (protection == VM_PROT_NONE) {
            return "VM_PROT_NONE";
        }
        List<String> names = new ArrayList<>();
        if ((protection & VM_PROT_READ) != 0) {
            names.add("VM_PROT_READ");
        }
        if ((protection & VM_PROT_WRITE) != 0) {
            names.add("VM_PROT_WRITE");
        }
        if ((protection & VM_PROT_EXECUTE) != 0) {
            names.add("VM_PROT_EXECUTE");
        }
        return String.join("|", names);
    }

    /** {@return {@code PROT_*} bits in words, e.g. {@code PROT_READ|PROT_WRITE}} @param prot the bits */
    static String protName(int prot) {
        return bitNames(prot, "PROT_NONE", new int[] {PROT_READ, PROT_WRITE, PROT_EXEC},
                new String[] {"PROT_READ", "PROT_WRITE", "PROT_EXEC"});
    }

    /** {@return {@code mmap} flags in words, e.g. {@code MAP_PRIVATE|MAP_ANON|MAP_JIT}} @param flags the flags */
    static String mapFlagsName(int flags) {
        return bitNames(flags, "0", new int[] {MAP_PRIVATE, MAP_ANON, MAP_JIT},
                new String[] {"MAP_PRIVATE", "MAP_ANON", "MAP_JIT"});
    }

    private static String bitNames(int bits, String none, int[] values, String[] names) {
        if (bits == 0) {
            return none;
        }
        List<String> parts = new ArrayList<>();
        int rest = bits;
        for (int i = 0; i < values.length; i++) {
            if ((bits & values[i]) != 0) {
                parts.add(names[i]);
                rest &= ~values[i];
            }
        }
        if (rest != 0) {
            parts.add("0x" + Integer.toHexString(rest));
        }
        return String.join("|", parts);
    }

    /** {@return {@code mach_vm_allocate} flags in words} @param flags the flags */
    static String allocateFlagsName(int flags) {
        List<String> names = new ArrayList<>();
        names.add((flags & VM_FLAGS_ANYWHERE) != 0 ? "VM_FLAGS_ANYWHERE" : "VM_FLAGS_FIXED");
        if ((flags & VM_FLAGS_OVERWRITE) != 0) {
            names.add("VM_FLAGS_OVERWRITE");
        }
        if ((flags & VM_FLAGS_PURGABLE) != 0) {
            names.add("VM_FLAGS_PURGABLE");
        }
        if ((flags & VM_FLAGS_SUPERPAGE_SIZE_2MB) != 0) {
            names.add("VM_FLAGS_SUPERPAGE_SIZE_2MB");
        }
        if ((flags >>> 24) != 0) {
            names.add("VM_MAKE_TAG(" + (flags >>> 24) + ")");
        }
        return String.join("|", names);
    }
}
