package dev.pagealloc.reliability.fuzz;

import java.util.function.Consumer;

/**
 * One action of a chain: what it does, in words (printed when the chain fails), and the action itself.
 *
 * @param description the call and its arguments
 * @param action applies the call to the state and checks it against the model
 * @param <S> the state
 */
record Step<S>(String description, Consumer<S> action) {
    /** Actions run and refusals seen in this JVM (the fuzzers run on one thread), for the report. */
    static final long[] TALLY = new long[2];

    /** Counts a refusal that matched the model. */
    static void refused() {
        TALLY[1]++;
    }

    @Override
    public String toString() {
        return description;
    }
}
