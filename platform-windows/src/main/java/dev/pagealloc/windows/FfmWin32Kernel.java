package dev.pagealloc.windows;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;
import java.util.Collections;
import java.util.LinkedHashMap;
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

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup KERNEL32 = library("kernel32");
    private static final SymbolLookup ADVAPI32 = library("advapi32");
    /** Every function bound, by C name, in declaration order; a name declared twice fails class initialization. */
    private static final Map<String, FunctionDescriptor> DECLARED = new LinkedHashMap<>();
    private static final StructLayout CALL_STATE_LAYOUT = Linker.Option.captureStateLayout();
    /** Present only on Windows, whose capture layout has a {@code GetLastError} member. */
    private static final VarHandle LAST_ERROR = ON_WINDOWS
            ? CALL_STATE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("GetLastError"))
            : null;
    private static final ThreadLocal<MemorySegment> CALL_STATE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CALL_STATE_LAYOUT));

    private static final MethodHandle VIRTUAL_ALLOC = setsLastError(KERNEL32, "VirtualAlloc",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT));
    private static final MethodHandle VIRTUAL_ALLOC_EX_NUMA = setsLastError(KERNEL32, "VirtualAllocExNuma",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle VIRTUAL_FREE = setsLastError(KERNEL32, "VirtualFree",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT));
    private static final MethodHandle VIRTUAL_PROTECT = setsLastError(KERNEL32, "VirtualProtect",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS));
    private static final MethodHandle VIRTUAL_QUERY = setsLastError(KERNEL32, "VirtualQuery",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG));
    private static final MethodHandle DISCARD_VIRTUAL_MEMORY = plain(KERNEL32, "DiscardVirtualMemory",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle VIRTUAL_LOCK = setsLastError(KERNEL32, "VirtualLock",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle GET_LARGE_PAGE_MINIMUM = plain(KERNEL32, "GetLargePageMinimum",
            FunctionDescriptor.of(JAVA_LONG));
    private static final MethodHandle FLUSH_INSTRUCTION_CACHE = setsLastError(KERNEL32, "FlushInstructionCache",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle GET_CURRENT_PROCESS = plain(KERNEL32, "GetCurrentProcess",
            FunctionDescriptor.of(JAVA_LONG));
    private static final MethodHandle GET_SYSTEM_INFO = plain(KERNEL32, "GetSystemInfo",
            FunctionDescriptor.ofVoid(ADDRESS));
    private static final MethodHandle GET_NUMA_HIGHEST_NODE_NUMBER = setsLastError(KERNEL32, "GetNumaHighestNodeNumber",
            FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle GET_NUMA_AVAILABLE_MEMORY_NODE_EX = setsLastError(KERNEL32,
            "GetNumaAvailableMemoryNodeEx", FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, ADDRESS));
    private static final MethodHandle OPEN_PROCESS_TOKEN = setsLastError(ADVAPI32, "OpenProcessToken",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT, ADDRESS));
    private static final MethodHandle LOOKUP_PRIVILEGE_VALUE_W = setsLastError(ADVAPI32, "LookupPrivilegeValueW",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
    private static final MethodHandle ADJUST_TOKEN_PRIVILEGES = setsLastError(ADVAPI32, "AdjustTokenPrivileges",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle CLOSE_HANDLE = setsLastError(KERNEL32, "CloseHandle",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
    private static final MethodHandle FORMAT_MESSAGE_W = setsLastError(KERNEL32, "FormatMessageW",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG));

    private FfmWin32Kernel() {}

    private static SymbolLookup library(String name) {
        // Both libraries are loaded in every Windows process; the global arena keeps them for the JVM's life.
        return ON_WINDOWS ? SymbolLookup.libraryLookup(name, Arena.global()) : symbol -> Optional.empty();
    }

    private static MethodHandle setsLastError(SymbolLookup library, String name, FunctionDescriptor descriptor) {
        return bind(library, name, descriptor, true);
    }

    private static MethodHandle plain(SymbolLookup library, String name, FunctionDescriptor descriptor) {
        return bind(library, name, descriptor, false);
    }

    private static MethodHandle bind(SymbolLookup library, String name, FunctionDescriptor descriptor, boolean capture) {
        if (DECLARED.putIfAbsent(name, descriptor) != null) {
            throw new IllegalStateException("FfmWin32Kernel: " + name + " is declared twice");
        }
        Optional<MemorySegment> symbol = library.find(name);
        if (symbol.isPresent()) {
            return capture
                    ? LINKER.downcallHandle(symbol.get(), descriptor, Linker.Option.captureCallState("GetLastError"))
                    : LINKER.downcallHandle(symbol.get(), descriptor);
        }
        MethodType type = descriptor.toMethodType();
        if (capture) {
            type = type.insertParameterTypes(0, MemorySegment.class);
        }
        UnsupportedOperationException missing = new UnsupportedOperationException(name + ": no such function here (os.name="
                + System.getProperty("os.name") + "); the windows provider runs only on Windows");
        MethodHandle thrower = MethodHandles.throwException(type.returnType(), UnsupportedOperationException.class)
                .bindTo(missing);
        return MethodHandles.dropArguments(thrower, 0, type.parameterList());
    }

    /** {@return every bound function's descriptor, by C name, in declaration order} */
    static Map<String, FunctionDescriptor> declared() {
        return Collections.unmodifiableMap(DECLARED);
    }

    @Override
    public long virtualAlloc(long lpAddress, long dwSize, int flAllocationType, int flProtect) {
        try {
            return (long) VIRTUAL_ALLOC.invokeExact(CALL_STATE.get(), lpAddress, dwSize, flAllocationType, flProtect);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public long virtualAllocExNuma(long hProcess, long lpAddress, long dwSize, int flAllocationType, int flProtect,
            int nndPreferred) {
        try {
            return (long) VIRTUAL_ALLOC_EX_NUMA.invokeExact(CALL_STATE.get(), hProcess, lpAddress, dwSize, flAllocationType,
                    flProtect, nndPreferred);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int virtualFree(long lpAddress, long dwSize, int dwFreeType) {
        try {
            return (int) VIRTUAL_FREE.invokeExact(CALL_STATE.get(), lpAddress, dwSize, dwFreeType);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int virtualProtect(long lpAddress, long dwSize, int flNewProtect, MemorySegment lpflOldProtect) {
        try {
            return (int) VIRTUAL_PROTECT.invokeExact(CALL_STATE.get(), lpAddress, dwSize, flNewProtect, lpflOldProtect);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public long virtualQuery(long lpAddress, MemorySegment lpBuffer, long dwLength) {
        try {
            return (long) VIRTUAL_QUERY.invokeExact(CALL_STATE.get(), lpAddress, lpBuffer, dwLength);
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
            return (int) VIRTUAL_LOCK.invokeExact(CALL_STATE.get(), lpAddress, dwSize);
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
            return (int) FLUSH_INSTRUCTION_CACHE.invokeExact(CALL_STATE.get(), hProcess, lpBaseAddress, dwSize);
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
    public int getNumaHighestNodeNumber(MemorySegment highestNodeNumber) {
        try {
            return (int) GET_NUMA_HIGHEST_NODE_NUMBER.invokeExact(CALL_STATE.get(), highestNodeNumber);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int getNumaAvailableMemoryNodeEx(short node, MemorySegment availableBytes) {
        try {
            return (int) GET_NUMA_AVAILABLE_MEMORY_NODE_EX.invokeExact(CALL_STATE.get(), node, availableBytes);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int openProcessToken(long processHandle, int desiredAccess, MemorySegment tokenHandle) {
        try {
            return (int) OPEN_PROCESS_TOKEN.invokeExact(CALL_STATE.get(), processHandle, desiredAccess, tokenHandle);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int lookupPrivilegeValueW(MemorySegment lpSystemName, MemorySegment lpName, MemorySegment lpLuid) {
        try {
            return (int) LOOKUP_PRIVILEGE_VALUE_W.invokeExact(CALL_STATE.get(), lpSystemName, lpName, lpLuid);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int adjustTokenPrivileges(long tokenHandle, int disableAllPrivileges, MemorySegment newState, int bufferLength,
            MemorySegment previousState, MemorySegment returnLength) {
        try {
            return (int) ADJUST_TOKEN_PRIVILEGES.invokeExact(CALL_STATE.get(), tokenHandle, disableAllPrivileges, newState,
                    bufferLength, previousState, returnLength);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int closeHandle(long hObject) {
        try {
            return (int) CLOSE_HANDLE.invokeExact(CALL_STATE.get(), hObject);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int formatMessageW(int dwFlags, long lpSource, int dwMessageId, int dwLanguageId, MemorySegment lpBuffer,
            int nSize, long arguments) {
        try {
            return (int) FORMAT_MESSAGE_W.invokeExact(CALL_STATE.get(), dwFlags, lpSource, dwMessageId, dwLanguageId,
                    lpBuffer, nSize, arguments);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int getLastError() {
        if (LAST_ERROR == null) {
            throw new UnsupportedOperationException("GetLastError: no such function here (os.name="
                    + System.getProperty("os.name") + "); the windows provider runs only on Windows");
        }
        return (int) LAST_ERROR.get(CALL_STATE.get(), 0L);
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException("unexpected checked exception from a downcall", t);
    }
}
