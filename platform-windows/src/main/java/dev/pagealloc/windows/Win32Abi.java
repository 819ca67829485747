package dev.pagealloc.windows;

import dev.pagealloc.api.Protection;

/**
 * The Win32 constants pagealloc uses, each with its value and the Windows SDK header it comes from
 * ({@code um/winnt.h}, {@code shared/winerror.h}, {@code um/WinBase.h}), and their names for error
 * messages. Values are ABI and the same on x64 and arm64.
 *
 * <p>Stateless and thread-safe.
 */
final class Win32Abi {
    private Win32Abi() {}

    // winnt.h: allocation types
    /** {@code MEM_COMMIT} = 0x00001000 ({@code winnt.h}). */
    static final int MEM_COMMIT = 0x00001000;
    /** {@code MEM_RESERVE} = 0x00002000. */
    static final int MEM_RESERVE = 0x00002000;
    /** {@code MEM_DECOMMIT} = 0x00004000. */
    static final int MEM_DECOMMIT = 0x00004000;
    /** {@code MEM_RELEASE} = 0x00008000: with size 0, at the reservation's base. */
    static final int MEM_RELEASE = 0x00008000;
    /** {@code MEM_FREE} = 0x00010000: a {@code MEMORY_BASIC_INFORMATION.State}. */
    static final int MEM_FREE = 0x00010000;
    /** {@code MEM_RESET} = 0x00080000: contents no longer needed, left undefined. */
    static final int MEM_RESET = 0x00080000;
    /** {@code MEM_LARGE_PAGES} = 0x20000000: with {@code MEM_RESERVE | MEM_COMMIT}. */
    static final int MEM_LARGE_PAGES = 0x20000000;

    // winnt.h: page protections
    /** {@code PAGE_NOACCESS} = 0x01 ({@code winnt.h}). */
    static final int PAGE_NOACCESS = 0x01;
    /** {@code PAGE_READONLY} = 0x02. */
    static final int PAGE_READONLY = 0x02;
    /** {@code PAGE_READWRITE} = 0x04. */
    static final int PAGE_READWRITE = 0x04;
    /** {@code PAGE_EXECUTE} = 0x10. */
    static final int PAGE_EXECUTE = 0x10;
    /** {@code PAGE_EXECUTE_READ} = 0x20. */
    static final int PAGE_EXECUTE_READ = 0x20;
    /**
     * {@code PAGE_EXECUTE_READWRITE} = 0x40: never a page's protection in pagealloc (W^X); only the
     * maximum protection of a code section, whose views are each either writable or executable.
     */
    static final int PAGE_EXECUTE_READWRITE = 0x40;

    // winnt.h: processor groups
    /** {@code ALL_PROCESSOR_GROUPS} = 0xffff ({@code winnt.h}): every group, for {@code GetActiveProcessorCount}. */
    static final short ALL_PROCESSOR_GROUPS = (short) 0xffff;

    // memoryapi.h: sections and their views
    /** {@code FILE_MAP_WRITE} = {@code SECTION_MAP_WRITE} = 0x0002, {@code um/memoryapi.h}, {@code um/winnt.h}. */
    static final int FILE_MAP_WRITE = 0x0002;
    /** {@code FILE_MAP_READ} = {@code SECTION_MAP_READ} = 0x0004, {@code um/memoryapi.h}. */
    static final int FILE_MAP_READ = 0x0004;
    /** {@code FILE_MAP_EXECUTE} = {@code SECTION_MAP_EXECUTE_EXPLICIT} = 0x0020, {@code um/memoryapi.h}. */
    static final int FILE_MAP_EXECUTE = 0x0020;
    /** {@code INVALID_HANDLE_VALUE ((HANDLE)(LONG_PTR)-1)}: a section backed by the paging file. */
    static final long INVALID_HANDLE_VALUE = -1L;

    // winnt.h: tokens and privileges
    /** {@code TOKEN_QUERY} = 0x0008 ({@code winnt.h}). */
    static final int TOKEN_QUERY = 0x0008;
    /** {@code TOKEN_ADJUST_PRIVILEGES} = 0x0020. */
    static final int TOKEN_ADJUST_PRIVILEGES = 0x0020;
    /** {@code SE_PRIVILEGE_ENABLED} = 0x00000002. */
    static final int SE_PRIVILEGE_ENABLED = 0x00000002;
    /** {@code SE_LOCK_MEMORY_NAME}: the privilege {@code MEM_LARGE_PAGES} needs. */
    static final String SE_LOCK_MEMORY_NAME = "SeLockMemoryPrivilege";

    // WinBase.h
    /** {@code FORMAT_MESSAGE_IGNORE_INSERTS} = 0x00000200 ({@code WinBase.h}). */
    static final int FORMAT_MESSAGE_IGNORE_INSERTS = 0x00000200;
    /** {@code FORMAT_MESSAGE_FROM_SYSTEM} = 0x00001000. */
    static final int FORMAT_MESSAGE_FROM_SYSTEM = 0x00001000;

    // Structure sizes (x64): winnt.h, sysinfoapi.h
    /** {@code sizeof(MEMORY_BASIC_INFORMATION)} = 48 on 64-bit Windows. */
    static final int MEMORY_BASIC_INFORMATION_BYTES = 48;
    /** {@code sizeof(SYSTEM_INFO)} = 48 on 64-bit Windows. */
    static final int SYSTEM_INFO_BYTES = 48;
    /** {@code sizeof(TOKEN_PRIVILEGES)} with one {@code LUID_AND_ATTRIBUTES} = 16. */
    static final int TOKEN_PRIVILEGES_BYTES = 16;

    // winerror.h
    /** {@code ERROR_SUCCESS} = 0 ({@code winerror.h}). */
    static final int ERROR_SUCCESS = 0;
    /** {@code ERROR_ACCESS_DENIED} = 5. */
    static final int ERROR_ACCESS_DENIED = 5;
    /** {@code ERROR_INVALID_HANDLE} = 6. */
    static final int ERROR_INVALID_HANDLE = 6;
    /** {@code ERROR_NOT_ENOUGH_MEMORY} = 8. */
    static final int ERROR_NOT_ENOUGH_MEMORY = 8;
    /** {@code ERROR_OUTOFMEMORY} = 14. */
    static final int ERROR_OUTOFMEMORY = 14;
    /** {@code ERROR_NOT_SUPPORTED} = 50. */
    static final int ERROR_NOT_SUPPORTED = 50;
    /** {@code ERROR_INVALID_PARAMETER} = 87. */
    static final int ERROR_INVALID_PARAMETER = 87;
    /** {@code ERROR_INSUFFICIENT_BUFFER} = 122. */
    static final int ERROR_INSUFFICIENT_BUFFER = 122;
    /** {@code ERROR_INVALID_ADDRESS} = 487. */
    static final int ERROR_INVALID_ADDRESS = 487;
    /** {@code ERROR_NOACCESS} = 998. */
    static final int ERROR_NOACCESS = 998;
    /** {@code ERROR_NOT_ALL_ASSIGNED} = 1300: {@code AdjustTokenPrivileges} succeeded without the privilege. */
    static final int ERROR_NOT_ALL_ASSIGNED = 1300;
    /** {@code ERROR_NO_SUCH_PRIVILEGE} = 1313. */
    static final int ERROR_NO_SUCH_PRIVILEGE = 1313;
    /** {@code ERROR_PRIVILEGE_NOT_HELD} = 1314. */
    static final int ERROR_PRIVILEGE_NOT_HELD = 1314;
    /** {@code ERROR_NO_SYSTEM_RESOURCES} = 1450. */
    static final int ERROR_NO_SYSTEM_RESOURCES = 1450;
    /** {@code ERROR_WORKING_SET_QUOTA} = 1453. */
    static final int ERROR_WORKING_SET_QUOTA = 1453;
    /** {@code ERROR_COMMITMENT_LIMIT} = 1455. */
    static final int ERROR_COMMITMENT_LIMIT = 1455;

    /** {@return the {@code ERROR_*} name of a Win32 error} @param code the value */
    static String errorName(int code) {
        return switch (code) {
            case ERROR_SUCCESS -> "ERROR_SUCCESS";
            case ERROR_ACCESS_DENIED -> "ERROR_ACCESS_DENIED";
            case ERROR_INVALID_HANDLE -> "ERROR_INVALID_HANDLE";
            case ERROR_NOT_ENOUGH_MEMORY -> "ERROR_NOT_ENOUGH_MEMORY";
            case ERROR_OUTOFMEMORY -> "ERROR_OUTOFMEMORY";
            case ERROR_NOT_SUPPORTED -> "ERROR_NOT_SUPPORTED";
            case ERROR_INVALID_PARAMETER -> "ERROR_INVALID_PARAMETER";
            case ERROR_INSUFFICIENT_BUFFER -> "ERROR_INSUFFICIENT_BUFFER";
            case ERROR_INVALID_ADDRESS -> "ERROR_INVALID_ADDRESS";
            case ERROR_NOACCESS -> "ERROR_NOACCESS";
            case ERROR_NOT_ALL_ASSIGNED -> "ERROR_NOT_ALL_ASSIGNED";
            case ERROR_NO_SUCH_PRIVILEGE -> "ERROR_NO_SUCH_PRIVILEGE";
            case ERROR_PRIVILEGE_NOT_HELD -> "ERROR_PRIVILEGE_NOT_HELD";
            case ERROR_NO_SYSTEM_RESOURCES -> "ERROR_NO_SYSTEM_RESOURCES";
            case ERROR_WORKING_SET_QUOTA -> "ERROR_WORKING_SET_QUOTA";
            case ERROR_COMMITMENT_LIMIT -> "ERROR_COMMITMENT_LIMIT";
            default -> "ERROR_" + code;
        };
    }

    /** {@return the {@code PAGE_*} constant of a protection} @param protection the protection */
    static int pageProtection(Protection protection) {
        return switch (protection) {
            case NONE -> PAGE_NOACCESS;
            case READ -> PAGE_READONLY;
            case READ_WRITE -> PAGE_READWRITE;
            case READ_EXECUTE -> PAGE_EXECUTE_READ;
        };
    }

    /** {@return a {@code PAGE_*} constant's name} @param protect the constant */
    static String protectionName(int protect) {
        return switch (protect) {
            case 0 -> "0";
            case PAGE_NOACCESS -> "PAGE_NOACCESS";
            case PAGE_READONLY -> "PAGE_READONLY";
            case PAGE_READWRITE -> "PAGE_READWRITE";
            case PAGE_EXECUTE -> "PAGE_EXECUTE";
            case PAGE_EXECUTE_READ -> "PAGE_EXECUTE_READ";
            case PAGE_EXECUTE_READWRITE -> "PAGE_EXECUTE_READWRITE";
            default -> "0x" + Integer.toHexString(protect);
        };
    }

    /** {@return allocation-type bits in words, e.g. {@code MEM_RESERVE|MEM_COMMIT}} @param type the bits */
    static String allocationTypeName(int type) {
        StringBuilder names = new StringBuilder();
        int[] bits = {MEM_RESERVE, MEM_COMMIT, MEM_DECOMMIT, MEM_RELEASE, MEM_RESET, MEM_LARGE_PAGES};
        String[] words = {"MEM_RESERVE", "MEM_COMMIT", "MEM_DECOMMIT", "MEM_RELEASE", "MEM_RESET", "MEM_LARGE_PAGES"};
        for (int i = 0; i < bits.length; i++) {
            if ((type & bits[i]) != 0) {
                names.append(names.isEmpty() ? "" : "|").append(words[i]);
            }
        }
        return names.toString();
    }
}
