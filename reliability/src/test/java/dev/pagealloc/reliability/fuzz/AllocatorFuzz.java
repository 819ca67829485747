package dev.pagealloc.reliability.fuzz;

import dev.pagealloc.api.Advice;
import dev.pagealloc.api.AllocatorStatistics;
import dev.pagealloc.api.MaximumPagesExceededException;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.Protection;
import dev.pagealloc.api.Region;
import dev.pagealloc.testkit.ProcMaps;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Action chains on one page allocator against a plain model: allocate, grow, tryGrow, protect,
 * decommit, recommit, discard, advise, write, read and deallocate, with bad arguments mixed in. A
 * refusal must be the exception the API documents for that argument, and leave the model (and so the
 * region, the allocator's statistics and the kernel's view) unchanged.
 *
 * <p>The model is one state per page ({@code null}: decommitted) and the first byte of each page.
 */
public final class AllocatorFuzz {
    static final long PAGE = 4096;
    static final int MAX_REGIONS = 3;
    private static final Protection[] PROTECTIONS = Protection.values();
    /** Advice that keeps contents: DONT_NEED, PURGEABLE and REUSE may drop them, so the model would not know. */
    private static final Advice[] KEEPING = {Advice.WILL_NEED, Advice.SEQUENTIAL, Advice.RANDOM, Advice.DONT_DUMP,
        Advice.DO_DUMP, Advice.NO_HUGE_PAGES};

    private AllocatorFuzz() {}

    /** One region and its model. */
    static final class Tracked {
        final Region region;
        final long maximumPages;
        final List<Protection> pages = new ArrayList<>();
        final List<Byte> firstBytes = new ArrayList<>();
        boolean alive = true;

        Tracked(Region region, long initialPages, long maximumPages) {
            this.region = region;
            this.maximumPages = maximumPages;
            addPages(initialPages);
        }

        void addPages(long count) {
            for (long i = 0; i < count; i++) {
                pages.add(Protection.READ_WRITE);
                firstBytes.add((byte) 0);
            }
        }

        long committedBytes() {
            return pages.stream().filter(p -> p != null).count() * PAGE;
        }
    }

    /** The state of one chain: the allocator, its regions and the model of each. */
    public static final class State {
        final PageAllocator allocator = PageAllocator.builder().withPageBytes(PAGE).build();
        final List<Tracked> regions = new ArrayList<>();
        final List<Tracked> dead = new ArrayList<>();

        Tracked pick(int index) {
            return regions.isEmpty() ? null : regions.get(Math.floorMod(index, regions.size()));
        }

        /** Releases everything and checks that the kernel no longer maps any of it. */
        public void close() {
            for (Tracked t : regions) {
                t.region.deallocate();
            }
            AllocatorStatistics stats = allocator.statistics();
            check(stats.liveRegions() == 0 && stats.committedBytes() == 0, "statistics after close: " + stats);
            if (ProcMaps.available()) {
                for (Tracked t : regions) {
                    long start = t.region.address() - t.region.guardBeforeBytes();
                    List<String> perms = ProcMaps.permissions(start, start + t.region.reservedBytes());
                    check(perms.size() == 1 && perms.get(0).startsWith("hole:"),
                            "mapping left behind at 0x" + Long.toHexString(start) + ": " + perms);
                }
            }
        }

        @Override
        public String toString() {
            return "State[regions=" + regions.size() + "]";
        }
    }

    /**
     * {@return a chain of up to {@code steps} actions}, drawn from {@code random}: the same seed gives
     * the same chain
     *
     * @param random the source, seeded
     * @param steps the most actions
     */
    public static List<Step<State>> chain(SplittableRandom random, int steps) {
        List<Step<State>> chain = new ArrayList<>();
        int count = random.nextInt(steps + 1);
        for (int n = 0; n < count; n++) {
            chain.add(step(random));
        }
        return chain;
    }

    /** Weights of the actions: allocate, grow, tryGrow, protect, decommit etc., advise, write, free, misuse. */
    private static final int[] WEIGHTS = {3, 3, 2, 4, 4, 2, 8, 2, 1};

    private static Step<State> step(SplittableRandom random) {
        int i = random.nextInt(MAX_REGIONS);
        return switch (pick(random, WEIGHTS)) {
            case 0 -> {
                long initial = random.nextLong(-1, 9);
                long maximum = random.nextLong(-1, 11);
                yield new Step<>("allocate(" + initial + ", " + maximum + ")", s -> allocate(s, initial, maximum));
            }
            case 1, 2 -> {
                boolean tryGrow = random.nextBoolean();
                long n = random.nextLong(-2, 7);
                yield new Step<>((tryGrow ? "tryGrow" : "grow") + "(region " + i + ", " + n + ")",
                        s -> grow(s, i, n, tryGrow));
            }
            case 3 -> {
                Range r = range(random);
                Protection p = PROTECTIONS[random.nextInt(PROTECTIONS.length)];
                yield new Step<>("protect(region " + i + ", " + r + ", " + p + ")", s -> protect(s, i, r, p));
            }
            case 4 -> {
                Range r = range(random);
                Kind k = Kind.values()[random.nextInt(Kind.values().length)];
                yield new Step<>(k + "(region " + i + ", " + r + ")", s -> rangeOperation(s, i, r, k));
            }
            case 5 -> {
                Range r = range(random);
                Advice a = KEEPING[random.nextInt(KEEPING.length)];
                yield new Step<>("advise(region " + i + ", " + r + ", " + a + ")", s -> advise(s, i, r, a));
            }
            case 6 -> {
                int page = random.nextInt(1 << 16);
                byte b = (byte) random.nextInt();
                yield new Step<>("write(region " + i + ", page seed " + page + ", " + b + ")",
                        s -> write(s, i, page, b));
            }
            case 7 -> new Step<>("deallocate(region " + i + ")", s -> deallocate(s, i));
            default -> {
                Kind k = Kind.values()[random.nextInt(Kind.values().length)];
                yield new Step<>("use-after-deallocate(" + i + ", " + k + ")", s -> useAfterDeallocate(s, i, k));
            }
        };
    }

    /** {@return an index drawn with the given weights} */
    static int pick(SplittableRandom random, int[] weights) {
        int total = 0;
        for (int w : weights) {
            total += w;
        }
        int at = random.nextInt(total);
        for (int i = 0; i < weights.length; i++) {
            at -= weights[i];
            if (at < 0) {
                return i;
            }
        }
        throw new AssertionError();
    }

    enum Kind { DECOMMIT, RECOMMIT, DISCARD }

    /**
     * A byte range, possibly bad: misaligned, negative or past the end. A relative range is drawn as
     * fractions and placed in the region when the action runs, so that most ranges fall inside it.
     */
    record Range(long offset, long length, boolean relative) {
        Range(long offset, long length) {
            this(offset, length, false);
        }

        /** {@return this range placed in {@code t}: a relative one within its pages, or one page past} */
        Range in(Tracked t) {
            if (!relative) {
                return this;
            }
            long pages = t.pages.size();
            long first = Math.floorMod(offset, pages + 1);
            long count = Math.floorMod(length, pages - first + 2);
            return new Range(first * PAGE, count * PAGE);
        }

        @Override
        public String toString() {
            return relative ? "relative " + offset + "/" + length : "[" + offset + ", +" + length + ")";
        }
    }

    /** Mostly ranges within the region, a tenth anywhere (often past the end), misaligned or negative. */
    private static Range range(SplittableRandom random) {
        int kind = random.nextInt(10);
        if (kind == 0) {
            long[] skews = {1, 2048, PAGE - 1};
            return new Range(random.nextLong(0, 9) * PAGE + skews[random.nextInt(3)], random.nextLong(1, 5) * PAGE);
        }
        if (kind == 1) {
            return new Range(0, -random.nextLong(1, 4) * PAGE);
        }
        if (kind == 2) {
            return new Range(random.nextLong(0, 9) * PAGE, random.nextLong(0, 5) * PAGE);
        }
        return new Range(random.nextInt(1 << 16), random.nextInt(1 << 16), true);
    }

    static void allocate(State s, long initial, long maximum) {
        if (s.regions.size() >= MAX_REGIONS) {
            return;
        }
        boolean bad = initial < 0 || maximum < 0 || initial > maximum || maximum == 0;
        AllocatorStatistics before = s.allocator.statistics();
        Region region;
        try {
            region = s.allocator.allocate(initial, maximum);
        } catch (IllegalArgumentException e) {
            Step.refused();
            check(bad, "allocate(" + initial + ", " + maximum + ") refused a good request: " + e);
            check(before.liveRegions() == s.allocator.statistics().liveRegions(),
                    "a refused allocate changed the count");
            checkAll(s);
            return;
        }
        check(!bad || maximum == 0 && initial == 0, "allocate(" + initial + ", " + maximum + ") accepted: " + region);
        s.regions.add(new Tracked(region, initial, maximum));
        checkAll(s);
    }

    static void grow(State s, int index, long pages, boolean tryGrow) {
        Tracked t = s.pick(index);
        if (t == null) {
            return;
        }
        long old = t.pages.size();
        // New pages start in the granule after the last page; a decommitted or protected last page does
        // not matter here: each page is its own granule at 4 KiB pages.
        Class<? extends Throwable> expected = pages < 0 ? IllegalArgumentException.class
                : old + pages > t.maximumPages && !tryGrow ? MaximumPagesExceededException.class : null;
        long result;
        try {
            result = tryGrow ? t.region.tryGrow(pages) : t.region.grow(pages);
        } catch (RuntimeException e) {
            expectRefusal(expected, e, s);
            return;
        }
        check(expected == null, (tryGrow ? "tryGrow(" : "grow(") + pages + ") returned " + result + ", expected "
                + expected);
        if (tryGrow && old + pages > t.maximumPages) {
            check(result == -1, "tryGrow past the maximum returned " + result);
        } else {
            check(result == old, "grow returned " + result + ", expected the old size " + old);
            t.addPages(pages);
        }
        checkAll(s);
    }

    static void protect(State s, int index, Range drawn, Protection p) {
        Tracked t = s.pick(index);
        if (t == null) {
            return;
        }
        Range r = drawn.in(t);
        Class<? extends Throwable> expected = rangeRefusal(t, r);
        if (expected == null && anyDecommitted(t, r)) {
            expected = IllegalStateException.class;
        }
        try {
            t.region.protect(r.offset(), r.length(), p);
        } catch (RuntimeException e) {
            expectRefusal(expected, e, s);
            return;
        }
        check(expected == null, "protect" + r + " accepted, expected " + expected);
        for (long page = r.offset() / PAGE; page < (r.offset() + r.length()) / PAGE; page++) {
            t.pages.set((int) page, p);
        }
        checkAll(s);
    }

    static void rangeOperation(State s, int index, Range drawn, Kind kind) {
        Tracked t = s.pick(index);
        if (t == null) {
            return;
        }
        Range r = drawn.in(t);
        Class<? extends Throwable> expected = rangeRefusal(t, r);
        if (expected == null && kind == Kind.RECOMMIT && !allDecommitted(t, r)) {
            expected = IllegalArgumentException.class;
        }
        if (expected == null && kind == Kind.DISCARD && anyDecommitted(t, r)) {
            expected = IllegalStateException.class;
        }
        try {
            switch (kind) {
                case DECOMMIT -> t.region.decommit(r.offset(), r.length());
                case RECOMMIT -> t.region.recommit(r.offset(), r.length());
                case DISCARD -> t.region.discard(r.offset(), r.length());
            }
        } catch (RuntimeException e) {
            expectRefusal(expected, e, s);
            return;
        }
        check(expected == null, kind + "" + r + " accepted, expected " + expected);
        for (long page = r.offset() / PAGE; page < (r.offset() + r.length()) / PAGE; page++) {
            int i = (int) page;
            switch (kind) {
                case DECOMMIT -> t.pages.set(i, null);
                case RECOMMIT -> t.pages.set(i, Protection.READ_WRITE);
                case DISCARD -> { }
            }
            t.firstBytes.set(i, (byte) 0);
        }
        checkAll(s);
    }

    static void advise(State s, int index, Range drawn, Advice advice) {
        Tracked t = s.pick(index);
        if (t == null) {
            return;
        }
        Range r = drawn.in(t);
        Class<? extends Throwable> expected = rangeRefusal(t, r);
        try {
            t.region.advise(r.offset(), r.length(), advice);
        } catch (RuntimeException e) {
            expectRefusal(expected, e, s);
            return;
        }
        check(expected == null, "advise" + r + " accepted, expected " + expected);
        checkAll(s);
    }

    static void write(State s, int index, int pageSeed, byte value) {
        Tracked t = s.pick(index);
        if (t == null) {
            return;
        }
        // Mostly a page of the region, sometimes the one past its end.
        int page = Math.floorMod(pageSeed, t.pages.size() + 1);
        Class<? extends Throwable> expected = page >= t.pages.size() ? IndexOutOfBoundsException.class
                : t.pages.get(page) == null || t.pages.get(page) == Protection.NONE ? IllegalStateException.class
                : null;
        MemorySegment view;
        try {
            view = t.region.segment(page * PAGE, PAGE);
        } catch (RuntimeException e) {
            expectRefusal(expected, e, s);
            return;
        }
        check(expected == null, "segment(page " + page + ") accepted, expected " + expected);
        byte now = view.get(ValueLayout.JAVA_BYTE, 0);
        check(now == t.firstBytes.get(page), "page " + page + " reads " + now + ", the model says "
                + t.firstBytes.get(page));
        if (t.pages.get(page) == Protection.READ_WRITE) {
            view.set(ValueLayout.JAVA_BYTE, 0, value);
            t.firstBytes.set(page, value);
        } else {
            check(view.isReadOnly(), "a view of a " + t.pages.get(page) + " page is writable");
        }
    }

    static void deallocate(State s, int index) {
        Tracked t = s.pick(index);
        if (t == null) {
            return;
        }
        t.region.deallocate();
        t.region.deallocate(); // idempotent
        t.alive = false;
        s.regions.remove(t);
        s.dead.add(t);
        checkAll(s);
    }

    static void useAfterDeallocate(State s, int index, Kind kind) {
        if (s.dead.isEmpty()) {
            return;
        }
        Tracked t = s.dead.get(Math.floorMod(index, s.dead.size()));
        try {
            switch (kind) {
                case DECOMMIT -> t.region.grow(1);
                case RECOMMIT -> t.region.protect(0, PAGE, Protection.READ);
                case DISCARD -> t.region.segment();
            }
        } catch (IllegalStateException e) {
            Step.refused();
            checkAll(s);
            return;
        }
        throw new AssertionError(kind + " on a deallocated region was accepted");
    }

    private static Class<? extends Throwable> rangeRefusal(Tracked t, Range r) {
        if (r.length() < 0 || r.offset() % PAGE != 0 || r.length() % PAGE != 0) {
            return IllegalArgumentException.class;
        }
        if (r.offset() + r.length() > t.pages.size() * PAGE) {
            return IndexOutOfBoundsException.class;
        }
        return null;
    }

    private static boolean anyDecommitted(Tracked t, Range r) {
        for (long page = r.offset() / PAGE; page < (r.offset() + r.length()) / PAGE; page++) {
            if (t.pages.get((int) page) == null) {
                return true;
            }
        }
        return false;
    }

    private static boolean allDecommitted(Tracked t, Range r) {
        for (long page = r.offset() / PAGE; page < (r.offset() + r.length()) / PAGE; page++) {
            if (t.pages.get((int) page) != null) {
                return false;
            }
        }
        return true;
    }

    private static void expectRefusal(Class<? extends Throwable> expected, RuntimeException e, State s) {
        if (expected == null || !expected.isInstance(e)) {
            AssertionError failure = new AssertionError("refused with " + e + ", expected "
                    + (expected == null ? "success" : expected.getSimpleName()));
            failure.initCause(e);
            throw failure;
        }
        check(e.getMessage() != null && !e.getMessage().isBlank(), "a refusal without a message: " + e);
        Step.refused();
        checkAll(s);
    }

    /** The regions and the allocator agree with the model; also the kernel, when it can be read. */
    static void checkAll(State s) {
        long committed = 0;
        for (Tracked t : s.regions) {
            Region r = t.region;
            check(r.isAlive(), "a live region says it is not");
            check(r.pages() == t.pages.size(), "pages " + r.pages() + ", model " + t.pages.size());
            for (int page = 0; page < t.pages.size(); page++) {
                Protection want = t.pages.get(page) == null ? Protection.NONE : t.pages.get(page);
                Protection have = r.protectionAt(page * PAGE);
                check(have == want, "page " + page + " is " + have + ", model " + want);
                if (want != Protection.NONE) {
                    byte first = r.segment(page * PAGE, 1).get(ValueLayout.JAVA_BYTE, 0);
                    check(first == t.firstBytes.get(page), "page " + page + " reads " + first + ", model "
                            + t.firstBytes.get(page));
                }
            }
            committed += t.committedBytes();
        }
        for (Tracked t : s.dead) {
            check(!t.region.isAlive(), "a deallocated region says it is alive");
        }
        AllocatorStatistics stats = s.allocator.statistics();
        check(stats.liveRegions() == s.regions.size(), "liveRegions " + stats.liveRegions() + ", model "
                + s.regions.size());
        check(stats.committedBytes() == committed, "committedBytes " + stats.committedBytes() + ", model " + committed);
    }

    /**
     * The end of a chain: every readable page's first byte against the model, and the kernel's view of
     * every live region: one permission string per page, never {@code rwx}.
     */
    static void checkFinal(State s) {
        for (Tracked t : s.regions) {
            for (int page = 0; page < t.pages.size(); page++) {
                Protection p = t.pages.get(page);
                if (p != null && p != Protection.NONE) {
                    byte have = t.region.segment(page * PAGE, 1).get(ValueLayout.JAVA_BYTE, 0);
                    check(have == t.firstBytes.get(page), "page " + page + " reads " + have + ", model "
                            + t.firstBytes.get(page));
                }
            }
        }
        if (!ProcMaps.available()) {
            return;
        }
        for (Tracked t : s.regions) {
            long base = t.region.address();
            List<String> want = new ArrayList<>();
            for (Protection p : t.pages) {
                want.add(permissions(p) + ":" + PAGE);
            }
            List<String> have = new ArrayList<>();
            for (int page = 0; page < t.pages.size(); page++) {
                have.addAll(ProcMaps.permissions(base + page * PAGE, base + (page + 1) * PAGE));
            }
            check(want.equals(have), "kernel " + have + ", model " + want);
            for (String run : have) {
                check(!run.startsWith("rwx"), "an rwx mapping: " + run);
            }
        }
    }

    private static String permissions(Protection p) {
        return p == null ? "---p" : switch (p) {
            case NONE -> "---p";
            case READ -> "r--p";
            case READ_WRITE -> "rw-p";
            case READ_EXECUTE -> "r-xp";
        };
    }

    static void check(boolean condition, String message) {
        if (!condition) {
            throw new AssertionError(message);
        }
    }

    /** {@return a short summary of the models, for a failure report} */
    static String describe(State s) {
        StringBuilder out = new StringBuilder();
        for (Tracked t : s.regions) {
            out.append(Arrays.toString(t.pages.toArray())).append(' ');
        }
        return out.toString();
    }
}
