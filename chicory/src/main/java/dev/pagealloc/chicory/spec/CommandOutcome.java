package dev.pagealloc.chicory.spec;

import java.util.Objects;

/**
 * What happened to one command of a spec script.
 *
 * @param script the script's name (its JSON file's name without {@code .json})
 * @param line the command's line in the {@code .wast} source
 * @param type the command's type, as wabt names it ({@code assert_return}, {@code module}, ...)
 * @param status passed, failed or skipped
 * @param detail why it failed or was skipped; empty when it passed
 */
public record CommandOutcome(String script, long line, String type, Status status, String detail) {

    /** How a command ended. */
    public enum Status {
        /** The command did what the script asserts. */
        PASSED,
        /** It did not; {@link #detail()} says what happened instead. */
        FAILED,
        /** This runner cannot execute it (e.g. a module in text form); {@link #detail()} says why. */
        SKIPPED
    }

    /**
     * Validates the fields.
     *
     * @throws NullPointerException if a reference is null
     */
    public CommandOutcome {
        Objects.requireNonNull(script, "script");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(detail, "detail");
    }

    /** {@return {@code script:line type}, the command's place} */
    public String where() {
        return script + ".wast:" + line + " " + type;
    }

    @Override
    public String toString() {
        return where() + " " + status + (detail.isEmpty() ? "" : ": " + detail);
    }
}
