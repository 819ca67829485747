package dev.pagealloc.internal;

import dev.pagealloc.api.MappingLimitExceededException;
import dev.pagealloc.api.SystemCallError;
import dev.pagealloc.spi.VirtualMemory;
import java.util.Collections;
import java.util.Map;
import java.util.OptionalLong;
import java.util.WeakHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Keeps the process under the kernel's limit on memory mappings, with headroom for the JVM.
 *
 * <p>Linux refuses a process more than {@code vm.max_map_count} mappings (VMAs): {@code do_mmap}
 * returns ENOMEM once {@code mm->map_count} reaches it ({@code mm/mmap.c}), and so does every
 * {@code mprotect} or {@code munmap} that must split a mapping ({@code split_vma} in {@code mm/vma.c},
 * {@code do_vmi_align_munmap}); see {@code Documentation/admin-guide/sysctl/vm.rst}, "max_map_count",
 * default 65530. The JVM maps memory for itself all along (metaspace, thread stacks, code cache, the
 * heap), and HotSpot aborts when such a mapping fails. HotSpot itself cannot size that need exactly:
 * ZGC's start-up check ({@code warn_max_map_count} in
 * {@code src/hotspot/os/linux/gc/z/zPhysicalMemoryBacking_linux.cpp}) adds a guessed 20% "to allow for
 * non-ZGC subsystems". So pagealloc keeps a configurable headroom free and refuses, before any system
 * call, an operation that could take the process into it.
 *
 * <p>Counting: a region costs at most its runs of pages with one state ({@link PageStates}) plus two
 * (the inaccessible head and tail of the reservation); the kernel merges neighbours with equal flags,
 * so the true figure is at most that. The process-wide count of pagealloc's mappings is kept per
 * {@link VirtualMemory} instance (one per process for an OS backend). The count of the whole process,
 * which includes the JVM's, is expensive to read ({@code /proc/self/maps} has one line per mapping), so
 * it is read at the first check, when the estimate reaches the headroom, and again after pagealloc's own
 * count has moved by a quarter of the headroom; between reads the JVM's mappings are taken as unchanged.
 * Checks and updates race between regions by at most two mappings per concurrent operation, which the
 * headroom absorbs.
 *
 * <p>Other platforms: Windows documents no limit of this kind ({@code VirtualAlloc} and
 * {@code VirtualProtect} are limited by address space and commit charge, not by a count of regions).
 * XNU's {@code vm_map} has no per-task entry count check (xnu-11417.101.15, {@code osfmk/vm/vm_map.c}:
 * entries come from the global "VM map entries" zone, {@code ZONE_ID_VM_MAP_ENTRY}, bounded by kernel
 * memory; {@code VM_MAP_ENTRY_MAX} only caps the array of one remap or region call). The embedded
 * provider maps nothing. Their {@link VirtualMemory#mappingLimit()} is empty, and this guard does nothing.
 *
 * <p>Thread-safe.
 */
final class MappingGuard {
    /** Mappings a region costs beyond its runs: the inaccessible head (guard) and tail of the reservation. */
    static final long REGION_OVERHEAD = 2;
    /** The default headroom is this fraction of the limit: 8191 of Linux's default 65530. */
    static final long DEFAULT_HEADROOM_DIVISOR = 8;

    private static final Map<VirtualMemory, AtomicLong> OURS = Collections.synchronizedMap(new WeakHashMap<>());

    private final VirtualMemory memory;
    private final long limit;
    private final long headroom;
    private final AtomicLong ours;
    private final LongAdder failures;
    /** The process's mappings that are not ours, at the last read; valid when {@code readAt >= 0}. */
    private volatile long others;
    /** Our count at the last read of the process's count, or -1 before the first read. */
    private volatile long readAt = -1;

    private MappingGuard(VirtualMemory memory, long limit, long headroom, LongAdder failures) {
        this.memory = memory;
        this.limit = limit;
        this.headroom = headroom;
        this.failures = failures;
        // Not computeIfAbsent with a lambda: this runs in every JVM's first build(); see ProviderSelection.
        synchronized (OURS) {
            AtomicLong counted = OURS.get(memory);
            if (counted == null) {
                counted = new AtomicLong();
                OURS.put(memory, counted);
            }
            this.ours = counted;
        }
    }

    /**
     * {@return the guard for allocators over {@code memory}}
     *
     * @param memory the platform primitives; their {@link VirtualMemory#mappingLimit()} is read once
     * @param headroom the mappings to keep free, if the builder set it; else the default
     * @param failures the allocator's failure counter, counting refusals as budget refusals are
     * @throws IllegalArgumentException if {@code headroom} is negative or leaves no mapping for pagealloc
     */
    static MappingGuard of(VirtualMemory memory, OptionalLong headroom, LongAdder failures) {
        OptionalLong limit = memory.mappingLimit();
        if (limit.isEmpty()) {
            return new MappingGuard(memory, Long.MAX_VALUE, 0, failures);
        }
        long max = limit.getAsLong();
        long keep = headroom.orElse(max / DEFAULT_HEADROOM_DIVISOR);
        if (keep < 0 || keep >= max) {
            throw new IllegalArgumentException("build(mappingHeadroom=" + keep + "): must be in [0, vm.max_map_count="
                    + max + ")");
        }
        return new MappingGuard(memory, max, keep, failures);
    }

    /** {@return the kernel's limit, or {@code Long.MAX_VALUE} when the platform has none} */
    long limit() {
        return limit;
    }

    /** {@return the mappings kept free} */
    long headroom() {
        return headroom;
    }

    /** {@return pagealloc's mappings over this guard's {@code VirtualMemory}, as counted} */
    long ours() {
        return ours.get();
    }

    /**
     * Refuses an operation that could add {@code additional} mappings past the headroom. Call it before
     * any system call; fewer or equal mappings always pass, so merging runs works at the limit.
     *
     * @param operation the operation, for the message
     * @param additional the mappings the operation could add, at most
     * @throws MappingLimitExceededException if the process would keep fewer than the headroom free
     */
    void check(Operation operation, long additional) {
        long process = processCountIfRefused(additional);
        if (process >= 0) {
            failures.increment();
            throw new MappingLimitExceededException(operation.toString(), process, additional, limit, headroom);
        }
    }

    /** {@return whether {@link #check} would let {@code additional} mappings pass}, counting no failure */
    boolean fits(long additional) {
        return processCountIfRefused(additional) < 0;
    }

    /** {@return the process's mapping count if {@code additional} more would pass the headroom, else -1} */
    private long processCountIfRefused(long additional) {
        if (additional <= 0 || limit == Long.MAX_VALUE) {
            return -1;
        }
        long now = ours.get();
        long last = readAt;
        boolean stale = last < 0 || Math.abs(now - last) > headroom / 4;
        if (!stale && now + others + additional <= limit - headroom) {
            return -1;
        }
        long process = memory.mappingCount();
        others = process - now;
        readAt = now;
        return process + additional > limit - headroom ? process : -1;
    }

    /**
     * {@return a refusal's failure text, with the mapping count when the kernel's ENOMEM came from the
     * limit rather than from a lack of memory}
     *
     * @param failure what pagealloc was doing
     * @param error the failed call
     */
    String explain(String failure, SystemCallError error) {
        if (limit == Long.MAX_VALUE || !"ENOMEM".equals(error.name())) {
            return failure;
        }
        long process = memory.mappingCount();
        // A split needs one free entry, a new mapping two at most: within that of the limit, it was the count.
        if (process + REGION_OVERHEAD < limit) {
            return failure;
        }
        return failure + " (the process has " + process + " memory mappings, at the kernel's limit vm.max_map_count="
                + limit + "; the ENOMEM is about mappings, not memory)";
    }

    /** {@return a new account for one region, holding no mappings yet} */
    Account account() {
        return new Account();
    }

    /** One region's share of the count. Not thread-safe: the region's monitor guards it. */
    final class Account {
        private long mappings;

        private Account() {}

        /**
         * Refuses a change that would leave the region with {@code runsAfter} runs, if the extra
         * mappings would pass the headroom.
         *
         * @param operation the operation, for the message
         * @param runsAfter the region's runs after the change
         * @throws MappingLimitExceededException as {@link MappingGuard#check}
         */
        void check(Operation operation, long runsAfter) {
            MappingGuard.this.check(operation, runsAfter + REGION_OVERHEAD - mappings);
        }

        /**
         * Records the region's runs after a change that succeeded.
         *
         * @param runs the region's runs now
         */
        void update(long runs) {
            long now = runs + REGION_OVERHEAD;
            ours.addAndGet(now - mappings);
            mappings = now;
        }

        /** Gives the region's mappings back after its reservation was released; idempotent. */
        void close() {
            ours.addAndGet(-mappings);
            mappings = 0;
        }
    }
}
