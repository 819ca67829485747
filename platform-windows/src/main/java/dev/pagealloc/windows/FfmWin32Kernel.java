package dev.pagealloc.windows;

import static dev.pagealloc.platform.support.NativeBinder.callState;
import static dev.pagealloc.platform.support.NativeBinder.rethrow;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.pagealloc.platform.support.NativeBinder;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.Map;
import java.util.Optional;

/**
 * {@link Win32Kernel} through the Foreign Function &amp; Memory API, over {@code kernel32.dll} and
 * {@code advapi32.dll}: one downcall handle per function in a {@code static final} field; the last
 * error captured by the linker right after each call that sets it
 * ({@code Linker.Option.captureCallState("GetLastError")}) into a per-thread buffer, because the
 * JVM's own Win32 calls would overwrite the thread's last error before Java could ask.
 *
 * <p>The libraries are opened only on Windows. Elsewhere (and for a function an older Windows
 * lacks, such as {@code DiscardVirtualMemory} before 8.1) the handle is a stand-in that throws
 * {@link UnsupportedOperationException} naming the function, so this class loads, and its
 * descriptors can be checked, on any platform.
 *
 * <p>On 64-bit Windows {@code SIZE_T}, {@code HANDLE} and pointers are 64-bit, {@code DWORD},
 * {@code ULONG} and {@code BOOL} 32-bit, {@code USHORT} 16-bit.
 *
 * <p>Thread-safe and stateless apart from the per-thread last-error buffer.
 */
final class FfmWin32Kernel implements Win32Kernel {
    /** The one instance; the handles are static. */
    static final FfmWin32Kernel INSTANCE = new FfmWin32Kernel();

    /** Whether this JVM runs on Windows, the only place the libraries are opened. */
    static final boolean ON_WINDOWS = System.getProperty("os.name", "").startsWith("Windows");

    /** Functions that set the thread's last error capture it; those that cannot fail are bound plain. */
    private static final NativeBinder KERNEL32 = NativeBinder.stubbing("FfmWin32Kernel", "kernel32",
            library("kernel32"), "GetLastError", "the windows provider runs only on Windows");
    private static final NativeBinder ADVAPI32 = KERNEL32.in("advapi32", library("advapi32"));

    private static final MethodHandle VIRTUAL_ALLOC = KERNEL32.bindCapturing("VirtualAlloc",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT));
    private static final MethodHandle VIRTUAL_ALLOC_EX_NUMA = KERNEL32.bindCapturing("VirtualAllocExNuma",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle VIRTUAL_FREE = KERNEL32.bindCapturing("VirtualFree",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT));
    private static final MethodHandle VIRTUAL_PROTECT = KERNEL32.bindCapturing("VirtualProtect",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS));
    private static final MethodHandle VIRTUAL_QUERY = KERNEL32.bindCapturing("VirtualQuery",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG));
    private static final MethodHandle DISCARD_VIRTUAL_MEMORY = KERNEL32.bind("DiscardVirtualMemory",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle VIRTUAL_LOCK = KERNEL32.bindCapturing("VirtualLock",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle GET_LARGE_PAGE_MINIMUM = KERNEL32.bind("GetLargePageMinimum",
            FunctionDescriptor.of(JAVA_LONG));
    private static final MethodHandle FLUSH_INSTRUCTION_CACHE = KERNEL32.bindCapturing("FlushInstructionCache",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle CREATE_FILE_MAPPING_W = KERNEL32.bindCapturing("CreateFileMappingW",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
    private static final MethodHandle MAP_VIEW_OF_FILE_EX = KERNEL32.bindCapturing("MapViewOfFileEx",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle UNMAP_VIEW_OF_FILE = KERNEL32.bindCapturing("UnmapViewOfFile",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
    private static final MethodHandle GET_CURRENT_PROCESS = KERNEL32.bind("GetCurrentProcess",
            FunctionDescriptor.of(JAVA_LONG));
    private static final MethodHandle GET_SYSTEM_INFO = KERNEL32.bind("GetSystemInfo",
            FunctionDescriptor.ofVoid(ADDRESS));
    private static final MethodHandle GET_ACTIVE_PROCESSOR_COUNT = KERNEL32.bindCapturing("GetActiveProcessorCount",
            FunctionDescriptor.of(JAVA_INT, JAVA_SHORT));
    private static final MethodHandle GET_NUMA_HIGHEST_NODE_NUMBER = KERNEL32.bindCapturing(
            "GetNumaHighestNodeNumber", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle GET_NUMA_AVAILABLE_MEMORY_NODE_EX = KERNEL32.bindCapturing(
            "GetNumaAvailableMemoryNodeEx", FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, ADDRESS));
    private static final MethodHandle OPEN_PROCESS_TOKEN = ADVAPI32.bindCapturing("OpenProcessToken",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT, ADDRESS));
    private static final MethodHandle LOOKUP_PRIVILEGE_VALUE_W = ADVAPI32.bindCapturing("LookupPrivilegeValueW",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
    private static final MethodHandle ADJUST_TOKEN_PRIVILEGES = ADVAPI32.bindCapturing("AdjustTokenPrivileges",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle CLOSE_HANDLE = KERNEL32.bindCapturing("CloseHandle",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
    private static final MethodHandle FORMAT_MESSAGE_W = KERNEL32.bindCapturing("FormatMessageW",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG));

    private FfmWin32Kernel() {}

    @SuppressWarnings("restricted") // see the SAFETY line
    private static SymbolLookup library(String name) {
        // SAFETY: kernel32 and advapi32 are loaded in every Windows process, so loading runs no foreign
        // initialiser; the global arena keeps them for the JVM's life, as the bound handles need.
        return ON_WINDOWS ? SymbolLookup.libraryLookup(name, Arena.global()) : symbol -> Optional.empty();
    }

    /** {@return every bound function's descriptor, by C name, in declaration order} */
    static Map<String, FunctionDescriptor> declared() {
        return KERNEL32.declared();
    }

    @Override
    public long virtualAlloc(long lpAddress, long dwSize, int flAllocationType, int flProtect) {
        try {
            return (long) VIRTUAL_ALLOC.invokeExact(callState(), lpAddress, dwSize, flAllocationType, flProtect);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public long virtualAllocExNuma(long hProcess, long lpAddress, long dwSize, int flAllocationType, int flProtect,
            int nndPreferred) {
        try {
            return (long) VIRTUAL_ALLOC_EX_NUMA.invokeExact(callState(), hProcess, lpAddress, dwSize, flAllocationType,
                    flProtect, nndPreferred);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int virtualFree(long lpAddress, long dwSize, int dwFreeType) {
        try {
            return (int) VIRTUAL_FREE.invokeExact(callState(), lpAddress, dwSize, dwFreeType);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int virtualProtect(long lpAddress, long dwSize, int flNewProtect, MemorySegment lpflOldProtect) {
        try {
            return (int) VIRTUAL_PROTECT.invokeExact(callState(), lpAddress, dwSize, flNewProtect, lpflOldProtect);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public long virtualQuery(long lpAddress, MemorySegment lpBuffer, long dwLength) {
        try {
            return (long) VIRTUAL_QUERY.invokeExact(callState(), lpAddress, lpBuffer, dwLength);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int discardVirtualMemory(long virtualAddress, long size) {
        try {
            return (int) DISCARD_VIRTUAL_MEMORY.invokeExact(virtualAddress, size);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int virtualLock(long lpAddress, long dwSize) {
        try {
            return (int) VIRTUAL_LOCK.invokeExact(callState(), lpAddress, dwSize);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public long getLargePageMinimum() {
        try {
            return (long) GET_LARGE_PAGE_MINIMUM.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int flushInstructionCache(long hProcess, long lpBaseAddress, long dwSize) {
        try {
            return (int) FLUSH_INSTRUCTION_CACHE.invokeExact(callState(), hProcess, lpBaseAddress, dwSize);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public long createFileMappingW(long hFile, long lpFileMappingAttributes, int flProtect, int dwMaximumSizeHigh,
            int dwMaximumSizeLow, long lpName) {
        try {
            return (long) CREATE_FILE_MAPPING_W.invokeExact(callState(), hFile, lpFileMappingAttributes, flProtect,
                    dwMaximumSizeHigh, dwMaximumSizeLow, lpName);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public long mapViewOfFileEx(long hFileMappingObject, int dwDesiredAccess, int dwFileOffsetHigh, int dwFileOffsetLow,
            long dwNumberOfBytesToMap, long lpBaseAddress) {
        try {
            return (long) MAP_VIEW_OF_FILE_EX.invokeExact(callState(), hFileMappingObject, dwDesiredAccess,
                    dwFileOffsetHigh, dwFileOffsetLow, dwNumberOfBytesToMap, lpBaseAddress);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int unmapViewOfFile(long lpBaseAddress) {
        try {
            return (int) UNMAP_VIEW_OF_FILE.invokeExact(callState(), lpBaseAddress);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public long getCurrentProcess() {
        try {
            return (long) GET_CURRENT_PROCESS.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public void getSystemInfo(MemorySegment lpSystemInfo) {
        try {
            GET_SYSTEM_INFO.invokeExact(lpSystemInfo);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int getActiveProcessorCount(short groupNumber) {
        try {
            return (int) GET_ACTIVE_PROCESSOR_COUNT.invokeExact(callState(), groupNumber);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int getNumaHighestNodeNumber(MemorySegment highestNodeNumber) {
        try {
            return (int) GET_NUMA_HIGHEST_NODE_NUMBER.invokeExact(callState(), highestNodeNumber);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int getNumaAvailableMemoryNodeEx(short node, MemorySegment availableBytes) {
        try {
            return (int) GET_NUMA_AVAILABLE_MEMORY_NODE_EX.invokeExact(callState(), node, availableBytes);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int openProcessToken(long processHandle, int desiredAccess, MemorySegment tokenHandle) {
        try {
            return (int) OPEN_PROCESS_TOKEN.invokeExact(callState(), processHandle, desiredAccess, tokenHandle);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int lookupPrivilegeValueW(MemorySegment lpSystemName, MemorySegment lpName, MemorySegment lpLuid) {
        try {
            return (int) LOOKUP_PRIVILEGE_VALUE_W.invokeExact(callState(), lpSystemName, lpName, lpLuid);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int adjustTokenPrivileges(long tokenHandle, int disableAllPrivileges, MemorySegment newState,
            int bufferLength, MemorySegment previousState, MemorySegment returnLength) {
        try {
            return (int) ADJUST_TOKEN_PRIVILEGES.invokeExact(callState(), tokenHandle, disableAllPrivileges, newState,
                    bufferLength, previousState, returnLength);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int closeHandle(long hObject) {
        try {
            return (int) CLOSE_HANDLE.invokeExact(callState(), hObject);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int formatMessageW(int dwFlags, long lpSource, int dwMessageId, int dwLanguageId, MemorySegment lpBuffer,
            int nSize, long arguments) {
        try {
            return (int) FORMAT_MESSAGE_W.invokeExact(callState(), dwFlags, lpSource, dwMessageId, dwLanguageId,
                    lpBuffer, nSize, arguments);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int getLastError() {
        return KERNEL32.captured();
    }
}
