package dev.pagealloc.windows;

import dev.pagealloc.spi.SystemCallException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

/**
 * Turns a failed Win32 call into a {@link SystemCallException}: the call with its arguments, the
 * error's {@code ERROR_*} name and code, and the system's own text ({@code FormatMessageW}), with a
 * hint where Windows' text does not say what to do.
 *
 * <p>Thread-safe: the last error is read on the calling thread.
 */
final class Win32Errors {
    /** Room for a system message, in UTF-16 units; the longest memory-manager message is far shorter. */
    private static final int MESSAGE_CHARS = 512;

    private final Win32Kernel kernel;

    Win32Errors(Win32Kernel kernel) {
        this.kernel = kernel;
    }

    /**
     * {@return the failure of {@code call}, with the calling thread's last error}; call it before
     * any other Win32 call on the thread
     *
     * @param call the call with its arguments
     */
    SystemCallException failure(String call) {
        return failure(call, kernel.getLastError());
    }

    /**
     * {@return the failure of {@code call} with {@code error}}
     *
     * @param call the call with its arguments
     * @param error the Win32 error
     */
    SystemCallException failure(String call, int error) {
        return new SystemCallException(call, error, Win32Abi.errorName(error), text(error) + hint(error));
    }

    /** {@return {@code FormatMessageW}'s text for {@code error} without its trailing CR LF, or a fallback} */
    String text(int error) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(2L * MESSAGE_CHARS, 2);
            int flags = Win32Abi.FORMAT_MESSAGE_FROM_SYSTEM | Win32Abi.FORMAT_MESSAGE_IGNORE_INSERTS;
            int chars = kernel.formatMessageW(flags, 0, error, 0, buffer, MESSAGE_CHARS, 0);
            if (chars <= 0) {
                return "Win32 error " + error;
            }
            byte[] utf16 = buffer.asSlice(0, 2L * Math.min(chars, MESSAGE_CHARS))
                    .toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
            return new String(utf16, StandardCharsets.UTF_16LE).strip();
        }
    }

    private static String hint(int error) {
        return switch (error) {
            case Win32Abi.ERROR_PRIVILEGE_NOT_HELD, Win32Abi.ERROR_NOT_ALL_ASSIGNED -> " (large pages need "
                    + Win32Abi.SE_LOCK_MEMORY_NAME + ", 'Lock pages in memory': grant it to the account in the Local"
                    + " Security Policy, User Rights Assignment, then sign in again)";
            case Win32Abi.ERROR_WORKING_SET_QUOTA -> " (VirtualLock is limited by the process's minimum working set;"
                    + " raise it with SetProcessWorkingSetSize)";
            default -> "";
        };
    }
}
