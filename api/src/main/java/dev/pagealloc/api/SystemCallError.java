package dev.pagealloc.api;

import java.io.Serializable;

/**
 * One failed system call: what was called and the error it returned.
 *
 * @param call the call with its arguments, e.g. {@code mprotect(0x7f3a12340000, 262144, PROT_READ|PROT_WRITE)}
 * @param code the errno on POSIX systems, the {@code kern_return_t} on Mach, the Win32 error on Windows
 * @param name the symbolic name of {@code code}, e.g. {@code ENOMEM} or {@code ERROR_INVALID_ADDRESS}
 * @param description the platform's text for {@code code}, e.g. {@code Cannot allocate memory}
 */
// Serializable because the exceptions that carry it are (Throwable is): a serialized KernelException
// or SystemCallException keeps the call and its error.
public record SystemCallError(String call, int code, String name, String description) implements Serializable {
    /** {@return {@code call -> NAME (code): description}} */
    @Override
    public String toString() {
        return call + " -> " + name + " (" + code + "): " + description;
    }
}
