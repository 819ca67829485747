package dev.pagealloc.windows;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.pagealloc.spi.SystemCallException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

/**
 * Enables {@code SeLockMemoryPrivilege} in the process token, which {@code MEM_LARGE_PAGES} needs:
 * an account may hold the privilege (granted in the security policy) without it being enabled, and
 * a JVM never enables it itself. {@code AdjustTokenPrivileges} succeeds even when the account lacks
 * the privilege, reporting {@code ERROR_NOT_ALL_ASSIGNED} as the last error; that is turned into an
 * error naming the privilege.
 *
 * <p>Thread-safe: enabling happens once per process, under this object's monitor.
 */
final class LockMemoryPrivilege {
    private final Win32Kernel kernel;
    private final Win32Errors errors;
    private boolean enabled;

    LockMemoryPrivilege(Win32Kernel kernel, Win32Errors errors) {
        this.kernel = kernel;
        this.errors = errors;
    }

    /**
     * Enables the privilege, once.
     *
     * @throws SystemCallException if the token cannot be opened or adjusted, or the account lacks
     *     the privilege ({@code ERROR_NOT_ALL_ASSIGNED}, with the way to grant it)
     */
    synchronized void enable() throws SystemCallException {
        if (enabled) {
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment token = arena.allocate(JAVA_LONG);
            if (kernel.openProcessToken(kernel.getCurrentProcess(),
                    Win32Abi.TOKEN_ADJUST_PRIVILEGES | Win32Abi.TOKEN_QUERY,
                    token) == 0) {
                throw errors.failure("OpenProcessToken(GetCurrentProcess(), TOKEN_ADJUST_PRIVILEGES|TOKEN_QUERY, "
                        + "&token)");
            }
            long handle = token.get(JAVA_LONG, 0);
            try {
                MemorySegment privileges = arena.allocate(Win32Abi.TOKEN_PRIVILEGES_BYTES, 4);
                MemorySegment name = arena.allocateFrom(Win32Abi.SE_LOCK_MEMORY_NAME, StandardCharsets.UTF_16LE);
                // TOKEN_PRIVILEGES { DWORD PrivilegeCount; LUID_AND_ATTRIBUTES Privileges[1] { LUID Luid; DWORD
                // Attributes } }
                if (kernel.lookupPrivilegeValueW(MemorySegment.NULL, name, privileges.asSlice(4, 8)) == 0) {
                    throw errors.failure("LookupPrivilegeValueW(NULL, \"" + Win32Abi.SE_LOCK_MEMORY_NAME
                            + "\", &luid)");
                }
                privileges.set(JAVA_INT, 0, 1);
                privileges.set(JAVA_INT, 12, Win32Abi.SE_PRIVILEGE_ENABLED);
                String call = "AdjustTokenPrivileges(token, FALSE, {" + Win32Abi.SE_LOCK_MEMORY_NAME
                        + ", SE_PRIVILEGE_ENABLED}, 0, NULL, NULL)";
                if (kernel.adjustTokenPrivileges(handle, 0, privileges, 0, MemorySegment.NULL,
                        MemorySegment.NULL) == 0) {
                    throw errors.failure(call);
                }
                int error = kernel.getLastError();
                if (error != Win32Abi.ERROR_SUCCESS) {
                    throw errors.failure(call, error);
                }
            } finally {
                kernel.closeHandle(handle);
            }
        }
        enabled = true;
    }
}
