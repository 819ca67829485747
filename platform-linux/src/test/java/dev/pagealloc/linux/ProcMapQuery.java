package dev.pagealloc.linux;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * The mappings of this process one at a time through the {@code PROCMAP_QUERY} ioctl on
 * {@code /proc/self/maps} (Linux 6.11): the same facts as the text file, without the kernel
 * printing every mapping of the JVM for each question. {@link ProcKernelView} uses it where the
 * kernel has it and parses the text otherwise; a test checks that both agree.
 *
 * <p>Thread-safe: the file descriptor is opened once and only read through the ioctl.
 */
@SuppressWarnings("restricted") // links open(2) and ioctl(2) with their C prototypes
final class ProcMapQuery {
    /** {@code _IOWR('f', 17, struct procmap_query)}, {@code <linux/fs.h>}; the struct is 104 bytes. */
    private static final long PROCMAP_QUERY = 0xC0686611L;
    private static final long QUERY_BYTES = 104;
    /** {@code PROCMAP_QUERY_COVERING_OR_NEXT_VMA}, {@code <linux/fs.h>}. */
    private static final long COVERING_OR_NEXT_VMA = 0x10;
    /** {@code PROCMAP_QUERY_VMA_READABLE}, {@code _WRITABLE}, {@code _EXECUTABLE}, {@code <linux/fs.h>}. */
    static final long READABLE = 1;
    static final long WRITABLE = 2;
    static final long EXECUTABLE = 4;
    /** {@code O_RDONLY|O_CLOEXEC}, {@code <fcntl.h>}. */
    private static final int O_RDONLY_CLOEXEC = 0x80000;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle OPEN = LINKER.downcallHandle(LINKER.defaultLookup().find("open").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle IOCTL = LINKER.downcallHandle(LINKER.defaultLookup().find("ioctl").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), Linker.Option.firstVariadicArg(2));

    /** The open {@code /proc/self/maps}, or empty where the kernel has no PROCMAP_QUERY. */
    private static final Optional<ProcMapQuery> INSTANCE = open();

    private final int fd;

    private ProcMapQuery(int fd) {
        this.fd = fd;
    }

    /** {@return the query, or empty on kernels before 6.11} */
    static Optional<ProcMapQuery> instance() {
        return INSTANCE;
    }

    private static Optional<ProcMapQuery> open() {
        try (Arena arena = Arena.ofConfined()) {
            int fd = (int) OPEN.invokeExact(arena.allocateFrom("/proc/self/maps"), O_RDONLY_CLOEXEC);
            if (fd < 0) {
                return Optional.empty();
            }
            ProcMapQuery query = new ProcMapQuery(fd);
            return query.at(0).isPresent() ? Optional.of(query) : Optional.empty();
        } catch (Throwable t) {
            throw new AssertionError("open/ioctl downcall failed", t);
        }
    }

    /**
     * {@return the mapping that covers {@code address} or else the next one above it, as
     * {@code [start, end, PROCMAP_QUERY_VMA_* flags]}}, or empty if there is none
     *
     * @param address an address
     */
    Optional<long[]> at(long address) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment query = arena.allocate(QUERY_BYTES, 8);
            query.set(JAVA_LONG, 0, QUERY_BYTES);
            query.set(JAVA_LONG, 8, COVERING_OR_NEXT_VMA);
            query.set(JAVA_LONG, 16, address);
            int result = (int) IOCTL.invokeExact(fd, PROCMAP_QUERY, query);
            if (result != 0) {
                return Optional.empty(); // ENOENT: nothing at or above; ENOTTY: no such ioctl
            }
            return Optional.of(new long[] {query.get(JAVA_LONG, 24), query.get(JAVA_LONG, 32),
                    query.get(JAVA_LONG, 40)});
        } catch (Throwable t) {
            throw new AssertionError("ioctl downcall failed", t);
        }
    }
}
