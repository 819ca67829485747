package dev.pagealloc.internal;

import dev.pagealloc.api.AppliedOptions;
import dev.pagealloc.api.BudgetExceededException;
import dev.pagealloc.api.KernelException;
import dev.pagealloc.api.MemoryPartition;
import dev.pagealloc.api.Units;
import dev.pagealloc.api.UnsupportedOptionException;
import dev.pagealloc.internal.observe.Log;
import dev.pagealloc.spi.Backing;
import dev.pagealloc.spi.SystemCallException;
import dev.pagealloc.spi.VirtualMemory;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * How a region commits pages, all or nothing: charge the partition (and its ancestors), commit, then
 * populate and lock as the region's options say, then let the partition's guaranteed reserves hand back
 * what the new, resident pages now hold; on a refusal, undo what was done. Under best effort an option the
 * platform cannot apply is dropped from the region's {@link AppliedOptions} and the commit tried
 * again without it (at most once per option, so the loop ends).
 *
 * <p>Not thread-safe: the region's monitor guards it; {@link #applied()} reads a volatile.
 */
final class CommitProtocol {
    /** An option applied after the commit, in the order it is applied. */
    private enum Option {
        POPULATE("populate"),
        LOCK("lock");

        private final String text;

        Option(String text) {
            this.text = text;
        }
    }

    private final ReservingPageAllocator allocator;
    private final VirtualMemory memory;
    private final Backing backing;
    private final Optional<MemoryPartition> partition;
    private final boolean bestEffort;
    private volatile AppliedOptions applied;

    CommitProtocol(ReservingPageAllocator allocator, Backing backing, AppliedOptions applied) {
        this.allocator = allocator;
        this.memory = allocator.memory();
        this.backing = backing;
        this.partition = allocator.config().partition();
        this.bestEffort = allocator.config().bestEffort();
        this.applied = applied;
    }

    /** {@return the options the region's pages really get} */
    AppliedOptions applied() {
        return applied;
    }

    /**
     * Commits {@code [address, +byteLength)} of a live region.
     *
     * @throws BudgetExceededException if the partition or an ancestor cannot take the bytes
     * @throws KernelException if the kernel refuses the commit, populate or lock
     * @throws UnsupportedOptionException if the platform cannot populate or lock and best effort is off
     */
    void commit(Operation operation, long address, long byteLength) {
        commit(operation, address, byteLength, AsKernelError.INSTANCE);
    }

    // Named classes and ifs rather than lambdas on this path: every JVM's first allocate commits, and each
    // first lambda spins a class (see ProviderSelection, "Cost").

    /** A kernel refusal of a commit, thrown as it is. */
    private static final class AsKernelError implements Function<KernelException, RuntimeException> {
        static final AsKernelError INSTANCE = new AsKernelError();

        @Override
        public RuntimeException apply(KernelException refused) {
            return refused;
        }
    }

    /** A kernel refusal of explicit huge pages for a new region: a missing option. */
    private record AsMissingHugePages(ReservingPageAllocator allocator, long hugePageBytes, long byteLength)
            implements Function<KernelException, RuntimeException> {
        @Override
        public RuntimeException apply(KernelException refused) {
            return new ReservingPageAllocator.HugePagesUnavailable(
                    allocator.hugePagePoolShortage(hugePageBytes, byteLength, refused));
        }
    }

    /**
     * Commits a new region's initial pages: as {@link #commit}, except that a kernel refusal of
     * explicit huge pages is a missing option, which the allocator refuses or downgrades.
     *
     * @throws ReservingPageAllocator.HugePagesUnavailable if the kernel refuses explicit huge pages
     */
    void commitInitial(Operation operation, long address, long byteLength) {
        long hugePageBytes = backing.explicitHugePageBytes();
        commit(operation, address, byteLength, hugePageBytes == 0 ? AsKernelError.INSTANCE
                : new AsMissingHugePages(allocator, hugePageBytes, byteLength));
    }

    /** Gives back the budget of pages that are no longer committed. */
    void refund(long byteLength) {
        if (partition.isPresent()) {
            partition.get().refund(byteLength);
        }
    }

    private void commit(Operation operation, long address, long byteLength,
            Function<KernelException, RuntimeException> commitRefusal) {
        while (true) {
            commitPages(operation, address, byteLength, commitRefusal);
            Option option = null;
            try {
                AppliedOptions options = applied;
                option = Option.POPULATE;
                if (options.populated()) {
                    memory.populate(address, byteLength);
                }
                option = Option.LOCK;
                if (options.locked()) {
                    memory.lock(address, byteLength);
                }
                allocator.statistics.committed(byteLength);
                if (partition.isPresent()) {
                    Partitions.settle(partition.get()); // the pages are resident now: reserves may shrink
                }
                return;
            } catch (UnsupportedOperationException e) {
                undo(operation, address, byteLength);
                if (!bestEffort) {
                    allocator.statistics.failures.increment();
                    throw new UnsupportedOptionException(operation.toString(), option.text + "=true", e.getMessage());
                }
                drop(option, e.getMessage()); // and go round again without it
            } catch (SystemCallException e) {
                undo(operation, address, byteLength);
                allocator.statistics.failures.increment();
                throw allocator.kernelFailure(operation, "cannot " + option.text + " " + byteLength + " bytes at "
                        + Units.hex(address), e);
            } catch (RuntimeException | Error e) {
                undo(operation, address, byteLength);
                allocator.statistics.failures.increment();
                throw e;
            }
        }
    }

    /** Charges and commits; on a refusal, the charge goes back and nothing is committed. */
    private void commitPages(Operation operation, long address, long byteLength,
            Function<KernelException, RuntimeException> commitRefusal) {
        try {
            if (partition.isPresent()) {
                Partitions.charge(partition.get(), operation.toString(), byteLength);
            }
        } catch (BudgetExceededException e) {
            allocator.statistics.failures.increment(); // AllocatorStatistics.failures counts budget refusals too
            throw e;
        }
        try {
            memory.commit(address, byteLength, backing);
        } catch (SystemCallException e) {
            refund(byteLength);
            allocator.statistics.failures.increment();
            String what = backing.explicitHugePageBytes() == 0 ? "" : " of " + backing.hugePages() + " huge pages";
            throw commitRefusal.apply(allocator.kernelFailure(operation, "cannot commit " + byteLength + " bytes"
                    + what + " at " + Units.hex(address), e));
        } catch (RuntimeException | Error e) {
            // Whatever a backend throws, VirtualMemory.commit committed nothing: the charge goes back.
            refund(byteLength);
            allocator.statistics.failures.increment();
            throw e;
        }
    }

    private void undo(Operation operation, long address, long byteLength) {
        refund(byteLength);
        try {
            memory.decommit(address, byteLength, backing);
        } catch (SystemCallException e) {
            // The pages stay committed but unreachable from Java: the range is not in the region's
            // page states, so no view covers it, and release() unmaps it with the rest of the reservation.
            Log.undoCommitFailed(operation, address, byteLength, e);
        }
    }

    private void drop(Option option, String reason) {
        AppliedOptions a = applied;
        List<String> downgrades = new ArrayList<>(a.downgrades());
        downgrades.add(option.text + "=true -> false: " + reason);
        boolean populated = a.populated() && option != Option.POPULATE;
        boolean locked = a.locked() && option != Option.LOCK;
        applied = new AppliedOptions(a.hugePages(), a.numaPolicy(), populated, locked, a.memoryTagging(), downgrades);
    }
}
