package dev.pagealloc.linux;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What an {@code mlock} refusal owes to {@code RLIMIT_MEMLOCK}, in words. mlock(2), ERRORS: {@code ENOMEM}
 * "the caller had a nonzero RLIMIT_MEMLOCK soft resource limit, but tried to lock more memory than the
 * limit permitted. This limit is not enforced if the process is privileged (CAP_IPC_LOCK)"; {@code EPERM}
 * "the caller is not privileged, but needs privilege (CAP_IPC_LOCK) to perform the requested operation"
 * (its limit is 0). The limit is read from {@code /proc/self/limits}, the line {@code Max locked memory}
 * (proc(5)), only when a lock has failed.
 *
 * <p>Stateless: thread-safe.
 */
final class MemlockLimit {
    private MemlockLimit() {}

    /** {@return the limit, e.g. {@code RLIMIT_MEMLOCK is 65536 bytes (soft), 65536 (hard); ...}} */
    static String describe() {
        return describe(read());
    }

    static String describe(String limitsLine) {
        if (limitsLine == null) {
            return "RLIMIT_MEMLOCK could not be read from /proc/self/limits";
        }
        String[] words = limitsLine.substring("Max locked memory".length()).strip().split("\\s+");
        String soft = words.length > 0 ? words[0] : "?";
        String hard = words.length > 1 ? words[1] : "?";
        String unit = "unlimited".equals(soft) ? "" : " bytes";
        return "RLIMIT_MEMLOCK is " + soft + unit + " (soft), " + hard + " (hard): raise it (ulimit -l, in KiB;"
                + " LimitMEMLOCK= for a systemd service) or grant CAP_IPC_LOCK";
    }

    private static String read() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
                if (line.startsWith("Max locked memory")) {
                    return line;
                }
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
        return null;
    }
}
