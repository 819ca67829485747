package dev.pagealloc.testkit.sim;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;

/**
 * The process and system half of a {@link SimulatedWin32} kernel: the access token and its
 * privileges ({@code OpenProcessToken}, {@code LookupPrivilegeValueW}, {@code AdjustTokenPrivileges},
 * {@code CloseHandle}; {@code processthreadsapi.h}, {@code winbase.h}, {@code securitybaseapi.h}),
 * processor groups and {@code GetSystemInfo} ({@code sysinfoapi.h}), and the NUMA topology
 * ({@code GetNumaHighestNodeNumber}, {@code GetNumaAvailableMemoryNodeEx}), with their C signatures
 * and the thread's last error behind {@link SimulatedWin32#getLastError()}.
 *
 * <p>Rules enforced, as the Win32 documentation of each call states them (cited at the method):
 * {@code AdjustTokenPrivileges} needs a handle opened with {@code TOKEN_ADJUST_PRIVILEGES}
 * ({@code ERROR_ACCESS_DENIED}) and succeeds with {@code ERROR_NOT_ALL_ASSIGNED} when the account
 * lacks the privilege; {@code GetSystemInfo} reports the processors of group 0 only.
 *
 * <p>Thread-safe: calls are serialized on the address space; the last error is per thread.
 */
public final class SimulatedWin32System {
    static final long TOKEN = 0x5A5AL;
    /** {@code TOKEN_QUERY} = 0x0008 ({@code winnt.h}). */
    static final int TOKEN_QUERY = 0x0008;
    /** {@code TOKEN_ADJUST_PRIVILEGES} = 0x0020 ({@code winnt.h}). */
    static final int TOKEN_ADJUST_PRIVILEGES = 0x0020;

    private final SimulatedWin32 win32;
    private final SimulatedAddressSpace space;
    private final int highestNumaNode;
    private volatile boolean privilegeHeld;
    private volatile boolean privilegeEnabled;
    private volatile int[] processorGroups = {8};
    /** Open token handles and the access each was opened with. */
    private final Map<Long, Integer> tokens = new HashMap<>();
    private long closedTokens;

    SimulatedWin32System(SimulatedWin32 win32, SimulatedAddressSpace space, int highestNumaNode,
            boolean lockMemoryPrivilegeHeld) {
        this.win32 = win32;
        this.space = space;
        this.highestNumaNode = highestNumaNode;
        this.privilegeHeld = lockMemoryPrivilegeHeld;
    }

    /** {@return whether {@code SeLockMemoryPrivilege} has been enabled in the process token} */
    public boolean lockMemoryPrivilegeEnabled() {
        return privilegeEnabled;
    }

    /** {@return what {@code GetNumaHighestNodeNumber} reports} */
    int highestNumaNode() {
        return highestNumaNode;
    }

    /**
     * Sets the machine's processor groups, as firmware and Windows form them (at most 64 logical
     * processors each); 8 processors in one group unless set.
     *
     * @param processorsPerGroup the active processors of group 0, 1, ...; each from 1 to 64
     * @throws IllegalArgumentException if there is no group or a count is out of range
     */
    public void setProcessorGroups(int... processorsPerGroup) {
        if (processorsPerGroup.length == 0
                || java.util.Arrays.stream(processorsPerGroup).anyMatch(n -> n < 1 || n > 64)) {
            throw new IllegalArgumentException("setProcessorGroups(processorsPerGroup="
                    + java.util.Arrays.toString(processorsPerGroup) + "): 1 to 64 processors in each of at least one"
                    + " group");
        }
        this.processorGroups = processorsPerGroup.clone();
    }

    /**
     * {@code DWORD GetActiveProcessorCount(WORD GroupNumber)}: "If this parameter is
     * ALL_PROCESSOR_GROUPS, the function returns the number of active processors in the system"; 0
     * on failure (sdk-api {@code nf-winbase-getactiveprocessorcount.md}), here for a group that does
     * not exist ({@code ERROR_INVALID_PARAMETER}).
     *
     * @param group a group number, or {@code ALL_PROCESSOR_GROUPS} (0xFFFF)
     * @return the active processors, or 0 with {@link SimulatedWin32#getLastError()}
     */
    public int getActiveProcessorCount(short group) {
        int[] groups = processorGroups;
        if (Short.toUnsignedInt(group) == 0xFFFF) {
            return java.util.Arrays.stream(groups).sum();
        }
        if (group < 0 || group >= groups.length) {
            return (int) win32.fail(SimulatedWin32.ERROR_INVALID_PARAMETER);
        }
        return groups[group];
    }

    /**
     * {@code void GetSystemInfo(LPSYSTEM_INFO lpSystemInfo)}: x64 ({@code PROCESSOR_ARCHITECTURE_AMD64}
     * 9), 4 KiB pages, 64 KiB granularity, user space up to {@code 0x7FFFFFFEFFFF}, and the processors
     * of group 0 only: {@code dwNumberOfProcessors} is "The number of logical processors in the current
     * group" (sdk-api {@code ns-sysinfoapi-system_info.md}); the calling thread is taken to run there.
     *
     * @param systemInfo out: a {@code SYSTEM_INFO} (48 bytes)
     */
    public void getSystemInfo(MemorySegment systemInfo) {
        systemInfo.set(JAVA_SHORT, 0, (short) 9);
        systemInfo.set(JAVA_SHORT, 2, (short) 0);
        systemInfo.set(JAVA_INT, 4, (int) space.pageBytes());
        systemInfo.set(JAVA_LONG, 8, SimulatedWin32.MINIMUM_ADDRESS);
        systemInfo.set(JAVA_LONG, 16, SimulatedWin32.MAXIMUM_ADDRESS - 1);
        int[] groups = processorGroups;
        systemInfo.set(JAVA_INT, 32, groups[0]);
        systemInfo.set(JAVA_LONG, 24, groups[0] == 64 ? -1L : (1L << groups[0]) - 1);
        systemInfo.set(JAVA_INT, 36, 8664);
        systemInfo.set(JAVA_INT, 40, (int) SimulatedWin32.GRANULARITY);
        systemInfo.set(JAVA_SHORT, 44, (short) 6);
        systemInfo.set(JAVA_SHORT, 46, (short) 0);
    }

    /**
     * {@code BOOL GetNumaHighestNodeNumber(PULONG HighestNodeNumber)}.
     *
     * @param highestNode out: the highest node number
     * @return non-zero
     */
    public int getNumaHighestNodeNumber(MemorySegment highestNode) {
        highestNode.set(JAVA_INT, 0, highestNumaNode);
        return 1;
    }

    /**
     * {@code BOOL GetNumaAvailableMemoryNodeEx(USHORT Node, PULONGLONG AvailableBytes)}: 4 GiB per node.
     *
     * @param node the node
     * @param availableBytes out: free memory on the node, in bytes
     * @return non-zero on success, 0 with {@link SimulatedWin32#getLastError()}
     */
    public int getNumaAvailableMemoryNodeEx(short node, MemorySegment availableBytes) {
        if (node < 0 || node > highestNumaNode) {
            return (int) win32.fail(SimulatedWin32.ERROR_INVALID_PARAMETER);
        }
        availableBytes.set(JAVA_LONG, 0, 4L << 30);
        return 1;
    }

    /**
     * {@code BOOL OpenProcessToken(HANDLE ProcessHandle, DWORD DesiredAccess, PHANDLE TokenHandle)}: a
     * new handle with the rights asked for, which {@link #adjustTokenPrivileges} checks.
     *
     * @param process {@link SimulatedWin32#CURRENT_PROCESS}
     * @param desiredAccess {@code TOKEN_*} rights
     * @param tokenHandle out: the token
     * @return non-zero on success, 0 with {@link SimulatedWin32#getLastError()}
     */
    public int openProcessToken(long process, int desiredAccess, MemorySegment tokenHandle) {
        if (process != SimulatedWin32.CURRENT_PROCESS) {
            return (int) win32.fail(SimulatedWin32.ERROR_INVALID_HANDLE);
        }
        synchronized (space) {
            long handle = TOKEN + 4L * tokens.size() + 4L * closedTokens;
            tokens.put(handle, desiredAccess);
            tokenHandle.set(JAVA_LONG, 0, handle);
        }
        return 1;
    }

    /** {@return the token handles {@link #openProcessToken} opened and {@link #closeHandle} has not closed} */
    public int openTokenHandles() {
        synchronized (space) {
            return tokens.size();
        }
    }

    /**
     * {@code BOOL LookupPrivilegeValueW(LPCWSTR lpSystemName, LPCWSTR lpName, PLUID lpLuid)}; knows
     * {@code SeLockMemoryPrivilege} (LUID 4).
     *
     * @param systemName {@code NULL} for the local system
     * @param name the privilege's name, UTF-16LE, NUL-terminated
     * @param luid out: its LUID (8 bytes)
     * @return non-zero on success, 0 with {@link SimulatedWin32#getLastError()}
     */
    public int lookupPrivilegeValueW(MemorySegment systemName, MemorySegment name, MemorySegment luid) {
        // SAFETY: callers pass a NUL-terminated UTF-16 name, as the real call requires; 512 bytes bound
        // the read, and every privilege name of winnt.h is far shorter.
        @SuppressWarnings("restricted")
        String privilege = name.reinterpret(512).getString(0, java.nio.charset.StandardCharsets.UTF_16LE);
        if (!privilege.equals("SeLockMemoryPrivilege")) {
            return (int) win32.fail(SimulatedWin32.ERROR_NO_SUCH_PRIVILEGE);
        }
        luid.set(JAVA_INT, 0, 4);
        luid.set(JAVA_INT, 4, 0);
        return 1;
    }

    /**
     * {@code BOOL AdjustTokenPrivileges(HANDLE TokenHandle, BOOL DisableAllPrivileges, PTOKEN_PRIVILEGES NewState,
     * DWORD BufferLength, PTOKEN_PRIVILEGES PreviousState, PDWORD ReturnLength)}: succeeds, with last
     * error {@code ERROR_NOT_ALL_ASSIGNED} when the account lacks the privilege.
     *
     * @param token the token from {@link #openProcessToken}
     * @param disableAllPrivileges non-zero to disable all
     * @param newState a {@code TOKEN_PRIVILEGES} with one privilege (16 bytes)
     * @param bufferLength room in {@code previousState}
     * @param previousState {@code NULL}
     * @param returnLength {@code NULL}
     * @return non-zero on success, 0 with {@link SimulatedWin32#getLastError()}
     */
    public int adjustTokenPrivileges(long token, int disableAllPrivileges, MemorySegment newState, int bufferLength,
            MemorySegment previousState, MemorySegment returnLength) {
        Integer granted;
        synchronized (space) {
            granted = tokens.get(token);
        }
        if (granted == null) {
            return (int) win32.fail(SimulatedWin32.ERROR_INVALID_HANDLE);
        }
        // sdk-api nf-securitybaseapi-adjusttokenprivileges.md, TokenHandle: "The handle must have
        // TOKEN_ADJUST_PRIVILEGES access to the token. If the PreviousState parameter is not NULL, the
        // handle must also have TOKEN_QUERY access." A handle without the right is refused as access
        // checks are: ERROR_ACCESS_DENIED.
        if ((granted & TOKEN_ADJUST_PRIVILEGES) == 0 || previousState.address() != 0 && (granted & TOKEN_QUERY) == 0) {
            return (int) win32.fail(SimulatedWin32.ERROR_ACCESS_DENIED);
        }
        int count = newState.get(JAVA_INT, 0);
        int luid = newState.get(JAVA_INT, 4);
        int attributes = newState.get(JAVA_INT, 12);
        if (count != 1 || luid != 4) {
            return (int) win32.fail(SimulatedWin32.ERROR_INVALID_PARAMETER);
        }
        if (!privilegeHeld) {
            win32.setLastError(SimulatedWin32.ERROR_NOT_ALL_ASSIGNED);
            return 1;
        }
        privilegeEnabled = disableAllPrivileges == 0 && (attributes & 2) != 0;
        win32.setLastError(SimulatedWin32.ERROR_SUCCESS);
        return 1;
    }

    /**
     * {@code BOOL CloseHandle(HANDLE hObject)}: closes a token handle; any other handle is invalid here.
     *
     * @param handle a handle from {@link #openProcessToken}
     * @return non-zero on success, 0 with {@code ERROR_INVALID_HANDLE}
     */
    public int closeHandle(long handle) {
        synchronized (space) {
            if (tokens.remove(handle) == null) {
                return (int) win32.fail(SimulatedWin32.ERROR_INVALID_HANDLE);
            }
            closedTokens++;
        }
        return 1;
    }

    /**
     * Grants or removes {@code SeLockMemoryPrivilege}, as an administrator would in the local
     * security policy; removing it also disables it.
     *
     * @param held whether the account holds it
     */
    public void setLockMemoryPrivilegeHeld(boolean held) {
        privilegeHeld = held;
        privilegeEnabled &= held;
    }
}
