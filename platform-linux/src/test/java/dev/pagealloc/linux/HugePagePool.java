package dev.pagealloc.linux;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * One hugetlb pool ({@code /sys/kernel/mm/hugepages/hugepages-<size>kB}), resized for a test and
 * put back as it was on {@link #close()}. Resizing needs root; the kernel may give fewer pages than
 * asked (no contiguous memory), which {@link #grow} reports as empty.
 */
final class HugePagePool implements AutoCloseable {
    private final Path directory;
    private final long originalPages;

    private HugePagePool(Path directory, long originalPages) {
        this.directory = directory;
        this.originalPages = originalPages;
    }

    /**
     * {@return the pool of {@code pageBytes} pages, grown so that at least {@code freePages} are
     * free}, or empty if the pool cannot be resized here (not root, no such size) or the kernel
     * found too few pages; an empty result leaves the pool as it was
     *
     * @param pageBytes the huge page size, in bytes
     * @param freePages the free pages the test needs
     */
    static Optional<HugePagePool> grow(long pageBytes, long freePages) {
        Path directory = Path.of("/sys/kernel/mm/hugepages/hugepages-" + pageBytes / 1024 + "kB");
        if (!Files.isWritable(directory.resolve("nr_hugepages"))) {
            return Optional.empty();
        }
        HugePagePool pool = new HugePagePool(directory, read(directory, "nr_hugepages"));
        long missing = freePages - pool.freePages();
        if (missing > 0) {
            pool.resize(pool.originalPages + missing);
        }
        if (pool.freePages() < freePages) {
            pool.close();
            return Optional.empty();
        }
        return Optional.of(pool);
    }

    /**
     * {@return the pool of {@code pageBytes} pages with no free page}: the free pages are taken out
     * of it for the test, or empty if that needs a resize that is not allowed here
     *
     * @param pageBytes the huge page size, in bytes
     */
    static Optional<HugePagePool> empty(long pageBytes) {
        Path directory = Path.of("/sys/kernel/mm/hugepages/hugepages-" + pageBytes / 1024 + "kB");
        if (!Files.exists(directory)) {
            return Optional.empty();
        }
        long total = read(directory, "nr_hugepages");
        HugePagePool pool = new HugePagePool(directory, total);
        if (pool.freePages() == 0) {
            return Optional.of(pool);
        }
        if (!Files.isWritable(directory.resolve("nr_hugepages"))) {
            return Optional.empty();
        }
        pool.resize(total - pool.freePages());
        return Optional.of(pool);
    }

    /** {@return {@code free_hugepages}: pages in no use, reserved ones included} */
    long freePages() {
        return read(directory, "free_hugepages");
    }

    /** {@return {@code resv_hugepages}: pages promised to mappings but not yet faulted in} */
    long reservedPages() {
        return read(directory, "resv_hugepages");
    }

    /** {@return {@code nr_hugepages}: the pool's size} */
    long totalPages() {
        return read(directory, "nr_hugepages");
    }

    private void resize(long pages) {
        try {
            Files.writeString(directory.resolve("nr_hugepages"), Long.toString(pages));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + directory.resolve("nr_hugepages"), e);
        }
    }

    /** Puts the pool back to the size it had. */
    @Override
    public void close() {
        if (totalPages() != originalPages) {
            resize(originalPages);
        }
    }

    private static long read(Path directory, String file) {
        try {
            return Long.parseLong(Files.readString(directory.resolve(file)).strip());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + directory.resolve(file), e);
        }
    }
}
