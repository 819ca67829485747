package dev.pagealloc.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.EnumSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PageStatesTest {
    private static final long P = 4096;

    @Test
    void shouldHoldOneRunForAnUnprotectedPrefixHoweverLarge() {
        PageStates states = new PageStates();
        states.extend(P, PageState.READ_WRITE);
        states.extend(1L << 40, PageState.READ_WRITE);
        states.extend(P, PageState.NONE); // shrinking is ignored
        assertEquals(1, states.runCount());
        assertEquals(1L << 40, states.limit());
        assertEquals(PageState.READ_WRITE, states.stateAt((1L << 40) - 1));
        states.extend((1L << 40) + P, PageState.NONE);
        assertEquals(2, states.runCount());
    }

    @Test
    void shouldSplitAndCoalesceRuns() {
        PageStates states = new PageStates();
        states.extend(10 * P, PageState.READ_WRITE);
        states.set(3 * P, 5 * P, PageState.READ);
        assertEquals(3, states.runCount());
        assertEquals(PageState.READ_WRITE, states.stateAt(3 * P - 1));
        assertEquals(PageState.READ, states.stateAt(3 * P));
        assertEquals(PageState.READ, states.stateAt(5 * P - 1));
        assertEquals(PageState.READ_WRITE, states.stateAt(5 * P));
        states.set(5 * P, 7 * P, PageState.READ);
        assertEquals(3, states.runCount(), "an adjacent run of the same state merges");
        states.set(3 * P, 7 * P, PageState.READ_WRITE);
        assertEquals(1, states.runCount(), "setting the middle back merges all three");
        states.set(0, 10 * P, PageState.DECOMMITTED);
        assertEquals(1, states.runCount());
        states.set(9 * P, 10 * P, PageState.NONE);
        assertEquals(2, states.runCount());
        states.set(4 * P, 4 * P, PageState.READ);
        assertEquals(2, states.runCount(), "an empty range changes nothing");
    }

    @Test
    void shouldAnswerQueriesOverRanges() {
        PageStates states = new PageStates();
        states.extend(8 * P, PageState.READ_WRITE);
        states.set(2 * P, 3 * P, PageState.DECOMMITTED);
        states.set(5 * P, 7 * P, PageState.DECOMMITTED);
        states.set(3 * P, 4 * P, PageState.NONE);
        assertEquals(Set.of(PageState.READ_WRITE), states.statesIn(0, 2 * P));
        assertEquals(EnumSet.of(PageState.READ_WRITE, PageState.DECOMMITTED, PageState.NONE),
                states.statesIn(P, 6 * P));
        assertEquals(Set.of(PageState.DECOMMITTED), states.statesIn(2 * P + 1, 2 * P + 2));
        assertEquals(Set.of(), states.statesIn(4 * P, 4 * P));
        assertEquals(2 * P, states.firstIn(0, 8 * P, PageState.DECOMMITTED));
        assertEquals(5 * P, states.firstIn(3 * P, 8 * P, PageState.DECOMMITTED));
        assertEquals(5 * P + 1, states.firstIn(5 * P + 1, 8 * P, PageState.DECOMMITTED),
                "a range starting inside a run");
        assertEquals(-1, states.firstIn(0, 2 * P, PageState.DECOMMITTED));
        assertEquals(-1, states.firstIn(0, 8 * P, PageState.READ));
        assertEquals(-1, states.firstIn(3 * P, 3 * P, PageState.NONE));
        assertEquals(3 * P, states.bytesIn(0, 8 * P, PageState.DECOMMITTED));
        assertEquals(P + P / 2, states.bytesIn(2 * P + P / 2, 6 * P, PageState.DECOMMITTED));
        assertEquals(4 * P, states.bytesIn(0, 8 * P, PageState.READ_WRITE));
        assertEquals(0, states.bytesIn(4 * P, 4 * P, PageState.READ_WRITE));
    }

    /** Random sets checked against one state per page, the plainest possible model. */
    @Test
    void shouldMatchAPerPageModelOverRandomChanges() {
        long seed = new Random().nextLong();
        Random random = new Random(seed);
        PageState[] values = PageState.values();
        int pages = 64;
        PageState[] model = new PageState[pages];
        PageStates states = new PageStates();
        int limit = 0;
        for (int step = 0; step < 5000; step++) {
            String where = "seed " + seed + ", step " + step;
            if (limit < pages && random.nextInt(10) == 0) {
                int newLimit = limit + 1 + random.nextInt(pages - limit);
                PageState state = values[random.nextInt(values.length)];
                states.extend(newLimit * P, state);
                for (int p = limit; p < newLimit; p++) {
                    model[p] = state;
                }
                limit = newLimit;
            }
            if (limit == 0) {
                continue;
            }
            int start = random.nextInt(limit + 1);
            int end = start + random.nextInt(limit - start + 1);
            PageState state = values[random.nextInt(values.length)];
            states.set(start * P, end * P, state);
            for (int p = start; p < end; p++) {
                model[p] = state;
            }
            int runs = 0;
            for (int p = 0; p < limit; p++) {
                assertEquals(model[p], states.stateAt(p * P + random.nextLong(P)), where);
                runs += p == 0 || model[p] != model[p - 1] ? 1 : 0;
            }
            assertEquals(runs, states.runCount(), where + ": runs are coalesced");
            int qs = random.nextInt(limit + 1);
            int qe = qs + random.nextInt(limit - qs + 1);
            PageState q = values[random.nextInt(values.length)];
            long bytes = 0;
            long first = -1;
            EnumSet<PageState> present = EnumSet.noneOf(PageState.class);
            for (int p = qs; p < qe; p++) {
                present.add(model[p]);
                if (model[p] == q) {
                    bytes += P;
                    first = first == -1 ? p * P : first;
                }
            }
            assertEquals(bytes, states.bytesIn(qs * P, qe * P, q), where);
            assertEquals(first, states.firstIn(qs * P, qe * P, q), where);
            assertEquals(present, states.statesIn(qs * P, qe * P), where);
        }
    }
}
