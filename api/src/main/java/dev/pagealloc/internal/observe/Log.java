package dev.pagealloc.internal.observe;

import java.lang.System.Logger.Level;
import java.util.function.Supplier;

/**
 * pagealloc's one {@link System.Logger}, named {@code dev.pagealloc}, for the rare warnings a library
 * must give: a leaked region, pages a failed operation could not give back. Nothing is logged on a
 * normal run, so nothing is printed. The logger is created on first use, so that a run without
 * warnings never starts the logging backend.
 *
 * <p>Thread-safe.
 */
public final class Log {
    /** The logger's name: {@value}. */
    public static final String NAME = "dev.pagealloc";

    private Log() {}

    private static final class Holder {
        static final System.Logger LOGGER = System.getLogger(NAME);
    }

    /** Logs {@code message} at {@code WARNING}; the text is built only if the level is enabled. */
    static void warning(Supplier<String> message) {
        Holder.LOGGER.log(Level.WARNING, message);
    }

    /**
     * Warns that pages committed for an operation that then failed could not be decommitted: they stay
     * committed, out of every view, until the region is deallocated.
     *
     * @param operation the failed operation, e.g. {@code grow(additionalPages=4)}
     * @param address the first address of the pages
     * @param byteLength their length, in bytes
     * @param refusal the decommit's refusal
     */
    public static void undoCommitFailed(Object operation, long address, long byteLength, Exception refusal) {
        warning(() -> operation + ": after a failed populate or lock, " + byteLength + " bytes at 0x"
                + Long.toHexString(address) + " could not be decommitted and stay committed, unreachable from"
                + " Java, until the region is deallocated: " + refusal.getMessage());
    }

    /**
     * Warns that a memory partition's reserve could not be resized: it holds {@code heldBytes} instead of
     * {@code targetBytes} until the next resize succeeds.
     *
     * @param address the reserve's address, in hex
     * @param heldBytes the bytes it holds committed
     * @param targetBytes the bytes it should hold
     * @param refusal the refusal
     */
    public static void reserveResizeFailed(String address, long heldBytes, long targetBytes, Exception refusal) {
        warning(() -> "a memory partition's guaranteed reserve at " + address + " could not go from " + heldBytes
                + " to " + targetBytes + " bytes: " + refusal.getMessage());
    }
}
