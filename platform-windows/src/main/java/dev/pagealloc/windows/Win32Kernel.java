package dev.pagealloc.windows;

import java.lang.foreign.MemorySegment;

/**
 * The Win32 calls pagealloc makes ({@code kernel32.dll}, {@code advapi32.dll}), one method per C
 * function, named after it, with its raw result: an address or {@code 0}, a {@code BOOL} as an
 * {@code int}, a {@code DWORD} error. A failed call's error is {@link #getLastError()}, read before
 * any other call on the thread, as in C. Structures and out-parameters are {@link MemorySegment}s
 * the caller allocates; handles and addresses the kernel only reads are {@code long}s.
 * {@link FfmWin32Kernel} is the real one; tests adapt a simulated kernel or a mock.
 *
 * <p>Each method is the C function of the same name in camel case ({@code memfd_create} is
 * {@code memfdCreate}, {@code mach_vm_allocate} {@code machVmAllocate}, {@code VirtualAlloc}
 * {@code virtualAlloc}), the one naming rule of the three {@code <Os>Kernel} interfaces.
 *
 * @implSpec Implementations are thread-safe; {@link #getLastError()} is the calling thread's.
 */
interface Win32Kernel {

    /**
     * {@code LPVOID VirtualAlloc(LPVOID lpAddress, SIZE_T dwSize, DWORD flAllocationType, DWORD flProtect)}.
     *
     * @param lpAddress where, or 0
     * @param dwSize the length, in bytes
     * @param flAllocationType {@code MEM_*}
     * @param flProtect one {@code PAGE_*} constant
     * @return the base address, or 0
     */
    long virtualAlloc(long lpAddress, long dwSize, int flAllocationType, int flProtect);

    /**
     * {@code LPVOID VirtualAllocExNuma(HANDLE hProcess, LPVOID lpAddress, SIZE_T dwSize, DWORD flAllocationType,
     * DWORD flProtect, DWORD nndPreferred)}.
     *
     * @param hProcess the process, {@link #getCurrentProcess()}
     * @param lpAddress where, or 0
     * @param dwSize the length, in bytes
     * @param flAllocationType {@code MEM_*}
     * @param flProtect one {@code PAGE_*} constant
     * @param nndPreferred the preferred NUMA node
     * @return the base address, or 0
     */
    long virtualAllocExNuma(long hProcess, long lpAddress, long dwSize, int flAllocationType, int flProtect,
            int nndPreferred);

    /**
     * {@code BOOL VirtualFree(LPVOID lpAddress, SIZE_T dwSize, DWORD dwFreeType)}.
     *
     * @param lpAddress the first byte (the reservation's base for {@code MEM_RELEASE})
     * @param dwSize the length, in bytes (0 for {@code MEM_RELEASE})
     * @param dwFreeType {@code MEM_DECOMMIT} or {@code MEM_RELEASE}
     * @return non-zero on success
     */
    int virtualFree(long lpAddress, long dwSize, int dwFreeType);

    /**
     * {@code BOOL VirtualProtect(LPVOID lpAddress, SIZE_T dwSize, DWORD flNewProtect, PDWORD lpflOldProtect)}.
     *
     * @param lpAddress the first byte
     * @param dwSize the length, in bytes
     * @param flNewProtect one {@code PAGE_*} constant
     * @param lpflOldProtect out: the first page's previous protection (4 bytes)
     * @return non-zero on success
     */
    int virtualProtect(long lpAddress, long dwSize, int flNewProtect, MemorySegment lpflOldProtect);

    /**
     * {@code SIZE_T VirtualQuery(LPCVOID lpAddress, PMEMORY_BASIC_INFORMATION lpBuffer, SIZE_T dwLength)}.
     *
     * @param lpAddress any address
     * @param lpBuffer out: a {@code MEMORY_BASIC_INFORMATION} (48 bytes)
     * @param dwLength the room in {@code lpBuffer}, in bytes
     * @return the bytes written, or 0
     */
    long virtualQuery(long lpAddress, MemorySegment lpBuffer, long dwLength);

    /**
     * {@code DWORD DiscardVirtualMemory(PVOID VirtualAddress, SIZE_T Size)} (Windows 8.1 and later).
     *
     * @param virtualAddress the first byte
     * @param size the length, in bytes
     * @return {@code ERROR_SUCCESS} or the error
     */
    int discardVirtualMemory(long virtualAddress, long size);

    /**
     * {@code BOOL VirtualLock(LPVOID lpAddress, SIZE_T dwSize)}.
     *
     * @param lpAddress the first byte
     * @param dwSize the length, in bytes
     * @return non-zero on success
     */
    int virtualLock(long lpAddress, long dwSize);

    /** {@return {@code SIZE_T GetLargePageMinimum(void)}: the large page size in bytes, or 0} */
    long getLargePageMinimum();

    /**
     * {@code BOOL FlushInstructionCache(HANDLE hProcess, LPCVOID lpBaseAddress, SIZE_T dwSize)}.
     *
     * @param hProcess the process
     * @param lpBaseAddress the first byte
     * @param dwSize the length, in bytes
     * @return non-zero on success
     */
    int flushInstructionCache(long hProcess, long lpBaseAddress, long dwSize);

    /**
     * {@code HANDLE CreateFileMappingW(HANDLE hFile, LPSECURITY_ATTRIBUTES lpFileMappingAttributes, DWORD
     * flProtect, DWORD dwMaximumSizeHigh, DWORD dwMaximumSizeLow, LPCWSTR lpName)}.
     *
     * @param hFile a file, or {@code INVALID_HANDLE_VALUE} for a section backed by the paging file
     * @param lpFileMappingAttributes 0 for the defaults
     * @param flProtect the section's maximum {@code PAGE_*} protection
     * @param dwMaximumSizeHigh the size's high 32 bits
     * @param dwMaximumSizeLow the size's low 32 bits
     * @param lpName 0 for an unnamed section
     * @return the section handle, or 0 with {@link #getLastError()} set
     */
    long createFileMappingW(long hFile, long lpFileMappingAttributes, int flProtect, int dwMaximumSizeHigh,
            int dwMaximumSizeLow, long lpName);

    /**
     * {@code LPVOID MapViewOfFileEx(HANDLE hFileMappingObject, DWORD dwDesiredAccess, DWORD dwFileOffsetHigh,
     * DWORD dwFileOffsetLow, SIZE_T dwNumberOfBytesToMap, LPVOID lpBaseAddress)}.
     *
     * @param hFileMappingObject the section
     * @param dwDesiredAccess {@code FILE_MAP_*} access
     * @param dwFileOffsetHigh the offset's high 32 bits
     * @param dwFileOffsetLow the offset's low 32 bits
     * @param dwNumberOfBytesToMap the view's size, in bytes
     * @param lpBaseAddress 0 to let the system choose
     * @return the view's address, or 0 with {@link #getLastError()} set
     */
    long mapViewOfFileEx(long hFileMappingObject, int dwDesiredAccess, int dwFileOffsetHigh, int dwFileOffsetLow,
            long dwNumberOfBytesToMap, long lpBaseAddress);

    /**
     * {@code BOOL UnmapViewOfFile(LPCVOID lpBaseAddress)}.
     *
     * @param lpBaseAddress a view's address
     * @return non-zero on success
     */
    int unmapViewOfFile(long lpBaseAddress);

    /** {@return {@code HANDLE GetCurrentProcess(void)}: the pseudo-handle -1} */
    long getCurrentProcess();

    /**
     * {@code void GetSystemInfo(LPSYSTEM_INFO lpSystemInfo)}.
     *
     * @param lpSystemInfo out: a {@code SYSTEM_INFO} (48 bytes)
     */
    void getSystemInfo(MemorySegment lpSystemInfo);

    /**
     * {@code DWORD GetActiveProcessorCount(WORD GroupNumber)} (Windows 7 and later): with
     * {@code ALL_PROCESSOR_GROUPS} the active processors of the whole system, where
     * {@code SYSTEM_INFO.dwNumberOfProcessors} counts only the calling thread's processor group.
     *
     * @param groupNumber a processor group, or {@code ALL_PROCESSOR_GROUPS} (0xFFFF)
     * @return the number of active processors, or 0 on failure
     */
    int getActiveProcessorCount(short groupNumber);

    /**
     * {@code BOOL GetNumaHighestNodeNumber(PULONG HighestNodeNumber)}.
     *
     * @param highestNodeNumber out: the highest node number (4 bytes)
     * @return non-zero on success
     */
    int getNumaHighestNodeNumber(MemorySegment highestNodeNumber);

    /**
     * {@code BOOL GetNumaAvailableMemoryNodeEx(USHORT Node, PULONGLONG AvailableBytes)}.
     *
     * @param node the node
     * @param availableBytes out: free memory on it, in bytes (8 bytes)
     * @return non-zero on success
     */
    int getNumaAvailableMemoryNodeEx(short node, MemorySegment availableBytes);

    /**
     * {@code BOOL OpenProcessToken(HANDLE ProcessHandle, DWORD DesiredAccess, PHANDLE TokenHandle)}.
     *
     * @param processHandle the process
     * @param desiredAccess {@code TOKEN_*}
     * @param tokenHandle out: the token (8 bytes)
     * @return non-zero on success
     */
    int openProcessToken(long processHandle, int desiredAccess, MemorySegment tokenHandle);

    /**
     * {@code BOOL LookupPrivilegeValueW(LPCWSTR lpSystemName, LPCWSTR lpName, PLUID lpLuid)}.
     *
     * @param lpSystemName {@link MemorySegment#NULL} for this system
     * @param lpName the privilege, UTF-16LE, NUL-terminated
     * @param lpLuid out: its LUID (8 bytes)
     * @return non-zero on success
     */
    int lookupPrivilegeValueW(MemorySegment lpSystemName, MemorySegment lpName, MemorySegment lpLuid);

    /**
     * {@code BOOL AdjustTokenPrivileges(HANDLE TokenHandle, BOOL DisableAllPrivileges, PTOKEN_PRIVILEGES NewState,
     * DWORD BufferLength, PTOKEN_PRIVILEGES PreviousState, PDWORD ReturnLength)}; success with
     * {@code ERROR_NOT_ALL_ASSIGNED} as last error means the account lacks the privilege.
     *
     * @param tokenHandle the token
     * @param disableAllPrivileges {@code FALSE}
     * @param newState a {@code TOKEN_PRIVILEGES}
     * @param bufferLength room in {@code previousState}
     * @param previousState {@link MemorySegment#NULL}
     * @param returnLength {@link MemorySegment#NULL}
     * @return non-zero on success
     */
    int adjustTokenPrivileges(long tokenHandle, int disableAllPrivileges, MemorySegment newState, int bufferLength,
            MemorySegment previousState, MemorySegment returnLength);

    /**
     * {@code BOOL CloseHandle(HANDLE hObject)}.
     *
     * @param hObject the handle
     * @return non-zero on success
     */
    int closeHandle(long hObject);

    /**
     * {@code DWORD FormatMessageW(DWORD dwFlags, LPCVOID lpSource, DWORD dwMessageId, DWORD dwLanguageId,
     * LPWSTR lpBuffer, DWORD nSize, va_list *Arguments)}.
     *
     * @param dwFlags {@code FORMAT_MESSAGE_*}
     * @param lpSource 0
     * @param dwMessageId the Win32 error
     * @param dwLanguageId 0 for the user's language
     * @param lpBuffer out: UTF-16LE text
     * @param nSize the room in {@code lpBuffer}, in UTF-16 units
     * @param arguments 0
     * @return the characters written, or 0
     */
    int formatMessageW(int dwFlags, long lpSource, int dwMessageId, int dwLanguageId, MemorySegment lpBuffer, int nSize,
            long arguments);

    /** {@return the calling thread's last error, as the last failing call through this kernel left it} */
    int getLastError();
}
