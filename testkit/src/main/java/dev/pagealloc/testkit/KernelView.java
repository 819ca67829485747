package dev.pagealloc.testkit;

import dev.pagealloc.api.Protection;
import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * What the kernel (or a simulated kernel, or the embedded provider's own page table and canaries)
 * says about address ranges: the ground truth the conformance suite checks against, never the
 * allocator's own bookkeeping. On Linux: {@code /proc/self/maps}, {@code smaps}, {@code mincore},
 * {@code get_mempolicy}.
 *
 * <p>Implementations need not be thread-safe; each call reads the kernel afresh. What a platform
 * cannot observe (residency, NUMA placement, the resident set) defaults to empty, and the suite then
 * skips the assertions that need it.
 */
public interface KernelView {

    /**
     * One run of pages with the same protection, as the kernel reports it.
     *
     * @param start the first address
     * @param end one past the last address
     * @param protection the access the kernel allows (an {@code rwx} mapping is reported through
     *     {@link #writableExecutableMappings()}, never here)
     */
    record Mapping(long start, long end, Protection protection) {
        /** {@return {@code end - start}, in bytes} */
        public long byteSize() {
            return end - start;
        }
    }

    /**
     * {@return the mapped runs overlapping {@code [address, address + byteSize)}, clipped to it,
     * in address order}; an unmapped gap has no entry
     *
     * @param address the first address
     * @param byteSize the length, in bytes
     */
    List<Mapping> mappings(long address, long byteSize);

    /**
     * {@return every mapping of the whole process that is writable and executable at once, as
     * text lines}; the W^X sweep asserts this holds nothing our allocator made
     */
    List<String> writableExecutableMappings();

    /**
     * {@return how many bytes of {@code [address, address + byteSize)} are resident in memory},
     * or empty where the platform cannot say
     *
     * @param address the first address; page-aligned
     * @param byteSize the length, in bytes
     */
    default OptionalLong residentBytes(long address, long byteSize) {
        return OptionalLong.empty();
    }

    /**
     * {@return the NUMA node the page at {@code address} is on}, or empty where the platform
     * cannot say or the page is not resident
     *
     * @param address an address in a resident page
     */
    default OptionalInt numaNodeOf(long address) {
        return OptionalInt.empty();
    }

    /** {@return the number of mappings in the whole process}, or empty where unknown */
    OptionalLong mappingCount();

    /** {@return the resident set of the whole process, in bytes}, or empty where unknown */
    default OptionalLong residentSetBytes() {
        return OptionalLong.empty();
    }
}
