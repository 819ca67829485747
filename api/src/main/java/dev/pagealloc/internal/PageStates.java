package dev.pagealloc.internal;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;

/**
 * The state of every byte of a region's committed prefix {@code [0, limit)} as coalesced runs:
 * one map entry per run, keyed by its first byte, reaching to the next key or the limit. A region
 * that is never protected holds one entry however large it is.
 *
 * <p>Not thread-safe; the region guards it.
 */
final class PageStates {
    private final NavigableMap<Long, PageState> runs = new TreeMap<>();
    private long limit;

    /** {@return the end of the tracked prefix, in bytes} */
    long limit() {
        return limit;
    }

    /** Extends the prefix to {@code newLimit}, the new bytes in {@code state}. */
    void extend(long newLimit, PageState state) {
        if (newLimit <= limit) {
            return;
        }
        Map.Entry<Long, PageState> last = runs.lastEntry();
        if (last == null || last.getValue() != state) {
            runs.put(limit, state);
        }
        limit = newLimit;
    }

    /** Sets {@code [start, end)} to {@code state}; {@code 0 <= start <= end <= limit}. */
    void set(long start, long end, PageState state) {
        if (start >= end) {
            return;
        }
        PageState after = end < limit ? stateAt(end) : null;
        runs.subMap(start, true, end, true).clear();
        if (after != null) {
            runs.put(end, after);
        }
        runs.put(start, state);
        coalesce(end);
        coalesce(start);
    }

    private void coalesce(long key) {
        PageState here = runs.get(key);
        Map.Entry<Long, PageState> before = runs.lowerEntry(key);
        if (here != null && before != null && before.getValue() == here) {
            runs.remove(key);
        }
    }

    /** {@return the state of byte {@code offset}; {@code 0 <= offset < limit}} */
    PageState stateAt(long offset) {
        return runs.floorEntry(offset).getValue();
    }

    /** {@return the states present in {@code [start, end)}} */
    Set<PageState> statesIn(long start, long end) {
        EnumSet<PageState> states = EnumSet.noneOf(PageState.class);
        if (start >= end) {
            return states;
        }
        states.add(stateAt(start));
        states.addAll(runs.subMap(start, false, end, false).values());
        return states;
    }

    /** {@return the first byte in {@code [start, end)} in {@code state}, or -1} */
    long firstIn(long start, long end, PageState state) {
        if (start >= end) {
            return -1;
        }
        if (stateAt(start) == state) {
            return start;
        }
        for (Map.Entry<Long, PageState> run : runs.subMap(start, false, end, false).entrySet()) {
            if (run.getValue() == state) {
                return run.getKey();
            }
        }
        return -1;
    }

    /** {@return how many bytes of {@code [start, end)} are in {@code state}} */
    long bytesIn(long start, long end, PageState state) {
        long total = 0;
        long cursor = start;
        while (cursor < end) {
            Map.Entry<Long, PageState> run = runs.floorEntry(cursor);
            Long next = runs.higherKey(cursor);
            long runEnd = Math.min(end, next == null ? limit : next);
            if (run.getValue() == state) {
                total += runEnd - cursor;
            }
            cursor = runEnd;
        }
        return total;
    }

    /**
     * One run of bytes in one state.
     *
     * @param start the first byte
     * @param end one past the last byte
     * @param state their state
     */
    record Run(long start, long end, PageState state) {}

    /** {@return the runs of {@code [start, end)}, clipped to it, in order} */
    List<Run> runsIn(long start, long end) {
        List<Run> runs = new ArrayList<>();
        long cursor = start;
        while (cursor < end) {
            Long next = this.runs.higherKey(cursor);
            long runEnd = Math.min(end, next == null ? limit : next);
            runs.add(new Run(cursor, runEnd, stateAt(cursor)));
            cursor = runEnd;
        }
        return runs;
    }

    /** {@return the number of runs; each is at most one kernel mapping} */
    int runCount() {
        return runs.size();
    }

    /** {@return the number of runs {@link #set} would leave; {@code 0 <= start < end <= limit}} */
    int runCountAfterSet(long start, long end, PageState state) {
        PageState before = start > 0 ? stateAt(start - 1) : null;
        PageState after = end < limit ? stateAt(end) : null;
        int count = runs.size() - runs.subMap(start, true, end, true).size();
        return count + (before != state ? 1 : 0) + (after != null && after != state ? 1 : 0);
    }

    /** {@return the number of runs {@link #extend} to a larger limit would leave} */
    int runCountAfterExtend(PageState state) {
        Map.Entry<Long, PageState> last = runs.lastEntry();
        return runs.size() + (last == null || last.getValue() != state ? 1 : 0);
    }
}
