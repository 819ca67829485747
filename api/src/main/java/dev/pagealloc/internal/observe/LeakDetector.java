package dev.pagealloc.internal.observe;

import dev.pagealloc.api.LeakDetection;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;

/**
 * Reports regions that become unreachable without being deallocated, after Netty's
 * {@code ResourceLeakDetector} (netty/netty, {@code common/src/main/java/io/netty/util/ResourceLeakDetector.java}:
 * a phantom reference per tracked buffer, levels {@code DISABLED}, {@code SIMPLE} (the default),
 * {@code ADVANCED} and {@code PARANOID}; below {@code PARANOID} it tracks one buffer in
 * {@code DEFAULT_SAMPLING_INTERVAL} = 128, and records where it was made from {@code ADVANCED} up).
 * A region costs system calls, a buffer does not, so pagealloc watches every region (one
 * {@link Cleaner} registration and one unregistration: 41 ns together, measured beside a 10 µs
 * allocate/deallocate cycle) and samples only the stack trace, which costs about 0.5 µs with a shallow
 * stack. The {@link Cleaner}'s action holds the region's address, size and allocation site, never the
 * region (which would keep it reachable), and reports the region unless it was released first. See
 * {@link LeakDetection} for the levels and for why a leaked region is not released.
 *
 * <p>Thread-safe.
 */
public final class LeakDetector {
    private LeakDetector() {}

    /** Started on the first watched region, so that a JVM that never allocates has no extra thread. */
    private static final class Holder {
        static final Cleaner CLEANER = Cleaner.create(new DaemonThreads());
    }

    /** The cleaner's thread: a named class, not a lambda, since the first allocate of a JVM starts it. */
    private static final class DaemonThreads implements ThreadFactory {
        @Override
        public Thread newThread(Runnable runnable) {
            Thread thread = new Thread(runnable, "pagealloc-leak-detector");
            thread.setDaemon(true);
            return thread;
        }
    }

    /**
     * {@return the level {@code chosen} by the builder, else the one the {@value LeakDetection#PROPERTY}
     * system property names, else {@link LeakDetection#SAMPLED}}
     *
     * @param chosen the builder's choice, if any
     * @throws IllegalArgumentException if the property names no level; the message lists them
     */
    public static LeakDetection level(Optional<LeakDetection> chosen) {
        if (chosen.isPresent()) {
            return chosen.get();
        }
        String property = System.getProperty(LeakDetection.PROPERTY);
        if (property == null) {
            return LeakDetection.SAMPLED;
        }
        try {
            return LeakDetection.valueOf(property.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("build(): system property " + LeakDetection.PROPERTY + "=" + property
                    + " names no leak detection level; expected one of "
                    + Arrays.toString(LeakDetection.values()).toLowerCase(Locale.ROOT), e);
        }
    }

    /**
     * Starts watching {@code region}.
     *
     * @param region the region to watch; not referenced by the watch
     * @param level the allocator's level
     * @param platform the provider's name
     * @param address the region's base address
     * @param reservedBytes its whole reservation, in bytes
     * @return the watch, to {@link Watch#release(Object) release} when the region is deallocated
     */
    public static Watch watch(Object region, LeakDetection level, String platform, long address,
            long reservedBytes) {
        if (level == LeakDetection.DISABLED) {
            return Watch.NONE;
        }
        boolean recordSite = level == LeakDetection.PARANOID
                || ThreadLocalRandom.current().nextInt(LeakDetection.SAMPLING_INTERVAL) == 0;
        Watch watch = new Watch(platform, address, reservedBytes, recordSite ? new AllocationSite() : null);
        watch.cleanable = Holder.CLEANER.register(region, watch);
        return watch;
    }

    /** The allocation's stack trace, captured cheaply and rendered only for a report. */
    private static final class AllocationSite extends Throwable {
        private static final long serialVersionUID = 1L;
        /** Every allocation passes through it; its frames and those above are pagealloc's own. */
        private static final String ALLOCATOR = "dev.pagealloc.internal.ReservingPageAllocator";

        AllocationSite() {
            super("allocated", null, false, true);
        }

        /** {@return the frames from the caller of {@code allocate}, one per line} */
        String render() {
            StackTraceElement[] frames = getStackTrace();
            int first = 0;
            for (int i = 0; i < frames.length; i++) {
                if (frames[i].getClassName().equals(ALLOCATOR)) {
                    first = i + 1;
                }
            }
            return Arrays.stream(frames, first, frames.length).map(f -> "\tat " + f)
                    .collect(Collectors.joining(System.lineSeparator()));
        }
    }

    /**
     * One region's watch: reports the region when it becomes unreachable, unless
     * {@link #release(Object)} was called first.
     */
    public static final class Watch implements Runnable {
        /** The watch of an allocator whose leak detection is disabled. */
        static final Watch NONE = new Watch("", 0, 0, null);

        private final String platform;
        private final long address;
        private final long reservedBytes;
        private final AllocationSite site;
        private volatile boolean released;
        private Cleaner.Cleanable cleanable;

        private Watch(String platform, long address, long reservedBytes, AllocationSite site) {
            this.platform = platform;
            this.address = address;
            this.reservedBytes = reservedBytes;
            this.site = site;
        }

        /**
         * Stops watching: the region's memory was released (or never kept).
         *
         * @param region the watched region, kept reachable until the watch knows, so that the
         *     collector cannot find it unreachable in between and report a leak that is not one
         */
        public void release(Object region) {
            if (cleanable == null) {
                return; // NONE, shared by every unwatched region: no write, so no contended cache line
            }
            released = true;
            cleanable.clean(); // unregisters at once; run() then sees the region released
            Reference.reachabilityFence(region);
        }

        /** The {@link Cleaner}'s action: reports the region if it was never released. */
        @Override
        public void run() {
            if (released) {
                return;
            }
            report();
        }

        private void report() {
            String allocationSite = site == null ? "" : site.render();
            RegionEvents.leaked(platform, address, reservedBytes, allocationSite);
            Log.warning(() -> "the region at 0x" + Long.toHexString(address) + " (reservedBytes=" + reservedBytes
                    + ", platform=" + platform + ") became unreachable without deallocate(); pagealloc does not"
                    + " release it (its views or native code may still use its memory), so its pages stay"
                    + " reserved until the process exits. " + (site == null
                            ? "Its allocation site was not recorded: with leak detection " + LeakDetection.SAMPLED
                                    + " one region in " + LeakDetection.SAMPLING_INTERVAL + " records it; run with -D"
                                    + LeakDetection.PROPERTY + "=paranoid to record every one."
                            : "It was allocated" + System.lineSeparator() + allocationSite));
        }
    }
}
