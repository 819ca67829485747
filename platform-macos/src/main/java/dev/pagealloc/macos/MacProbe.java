package dev.pagealloc.macos;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.pagealloc.api.Capabilities;
import dev.pagealloc.api.Capabilities.WxStrategy;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import oshi.SystemInfo;

/**
 * What this Mac can do, asked of the kernel at run time: {@code sysctlbyname} for the page size
 * ({@code hw.pagesize}), memory ({@code hw.memsize}), processors ({@code hw.logicalcpu}), the CPU
 * ({@code sysctl.proc_translated}, {@code hw.optional.arm64}) and the OS version
 * ({@code kern.osproductversion}); one 2 MiB {@code VM_FLAGS_SUPERPAGE_SIZE_2MB} allocation, released
 * at once, for superpages; OSHI for the OS's full description.
 *
 * <p>The architecture is the JVM's, not the machine's: an x86-64 JVM translated by Rosetta 2 on
 * Apple silicon is {@code x86_64} (with 4 KiB pages, which {@code hw.pagesize} reports per process),
 * and {@link Capabilities#operatingSystem()} then says so. {@code hw.optional.arm64} alone cannot
 * tell: it is 1 for every process of an arm64 kernel ({@code bsd/kern/kern_mib.c}, a plain
 * {@code SYSCTL_INT} of {@code arm64_flag}), so {@code sysctl.proc_translated} (1 when translated;
 * absent on Intel kernels, {@code bsd/kern/kern_sysctl.c} under {@code CONFIG_ROSETTA}) is asked
 * first.
 *
 * <p>W^X on macOS is {@link WxStrategy#PROTECTION_FLIP} and {@link WxStrategy#DUAL_MAPPING} (a
 * {@code mach_vm_remap} alias, {@link MacJitMemory}, which every macOS has); never
 * {@link WxStrategy#PER_THREAD_TOGGLE}, which would crash the JVM (see {@link MacJitMemory}).
 *
 * <p>macOS has one memory node, no transparent huge pages, no MTE for user processes, no
 * protection keys, and no superpage pool: a superpage size is listed with pool counts 0 (unknown)
 * when the trial allocation worked.
 *
 * <p>Not thread-safe; {@link MacVirtualMemory} probes once, when its capabilities are first asked for.
 */
final class MacProbe {
    /** A 64-bit user address on macOS (arm64 and x86-64): {@code MACH_VM_MAX_ADDRESS} is below 2^47. */
    static final int ADDRESS_BITS = 47;

    /**
     * Facts OSHI knows about the host.
     *
     * @param operatingSystem the OS description, e.g. {@code Apple macOS 15.0 (Sequoia) build 24A335}
     * @param availableMemoryBytes memory free now, in bytes
     */
    record HostFacts(String operatingSystem, long availableMemoryBytes) {}

    private final MachKernel kernel;
    private final int tag;
    private final Supplier<Optional<HostFacts>> host;

    /**
     * Creates a probe.
     *
     * @param kernel the kernel to ask
     * @param tag the VM tag of the trial superpage allocation
     * @param host OSHI's facts, or empty where OSHI cannot run
     */
    MacProbe(MachKernel kernel, int tag, Supplier<Optional<HostFacts>> host) {
        this.kernel = kernel;
        this.tag = tag;
        this.host = host;
    }

    /** {@return every capability, asked now} @throws IllegalStateException if {@code hw.pagesize} cannot be read */
    Capabilities probe() {
        long pageBytes = pageBytes();
        long memoryBytes = number("hw.memsize").orElse(0);
        int processors = (int) number("hw.logicalcpu").orElse(number("hw.ncpu").orElse(1));
        boolean translated = number("sysctl.proc_translated").orElse(0) == 1;
        boolean arm64 = !translated && number("hw.optional.arm64").orElse(0) == 1;
        Optional<HostFacts> facts = host.get();
        String os = facts.map(HostFacts::operatingSystem)
                .orElseGet(() -> "macOS " + string("kern.osproductversion").orElse("(version unknown)"))
                + (translated ? ", this x86_64 process translated by Rosetta 2 on arm64" : "");
        List<Capabilities.HugePageSize> superpages = superpages()
                ? List.of(new Capabilities.HugePageSize(MachAbi.SUPERPAGE_2MB_BYTES, 0, 0))
                : List.of();
        return Capabilities.builder()
                .platform("macos")
                .operatingSystem(os)
                .architecture(arm64 ? "aarch64" : "x86_64")
                .pageBytes(pageBytes)
                .allocationGranularityBytes(pageBytes)
                .hugePageSizes(superpages)
                .transparentHugePages(Capabilities.TransparentHugePageMode.UNSUPPORTED)
                .numaNodes(List.of(new Capabilities.NumaNode(0, memoryBytes,
                        facts.map(HostFacts::availableMemoryBytes).orElse(0L),
                        IntStream.range(0, processors).boxed().toList())))
                .memoryTagging(false)
                .protectionKeys(false)
                .wxStrategies(EnumSet.of(WxStrategy.PROTECTION_FLIP, WxStrategy.DUAL_MAPPING))
                .addressBits(ADDRESS_BITS)
                .overcommit(Capabilities.OvercommitPolicy.UNKNOWN)
                .memoryLimitBytes(OptionalLong.empty())
                .totalMemoryBytes(memoryBytes)
                .processors(processors)
                .build();
    }

    /**
     * {@return the page size, {@code hw.pagesize}: one sysctl, all that opening the primitives asks}
     *
     * @throws IllegalStateException if {@code hw.pagesize} cannot be read
     */
    long pageBytes() {
        return number("hw.pagesize").orElseThrow(() -> new IllegalStateException(
                "probe(): sysctlbyname(\"hw.pagesize\") failed: errno " + kernel.errno() + ": "
                        + kernel.strerror(kernel.errno())));
    }

    /** Allocates one 2 MiB superpage and releases it: the only reliable test. */
    private boolean superpages() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment address = arena.allocate(JAVA_LONG);
            int flags = MachAbi.VM_FLAGS_ANYWHERE | MachAbi.VM_FLAGS_SUPERPAGE_SIZE_2MB | MachAbi.vmMakeTag(tag);
            if (kernel.machVmAllocate(kernel.machTaskSelf(), address, MachAbi.SUPERPAGE_2MB_BYTES, flags)
                    != MachAbi.KERN_SUCCESS) {
                return false;
            }
            int kr = kernel.machVmDeallocate(kernel.machTaskSelf(), address.get(JAVA_LONG, 0),
                    MachAbi.SUPERPAGE_2MB_BYTES);
            if (kr != MachAbi.KERN_SUCCESS) {
                throw new IllegalStateException("probe(): cannot release the trial superpage: mach_vm_deallocate -> "
                        + MachAbi.kernName(kr) + " (" + kr + "): " + kernel.machErrorString(kr));
            }
            return true;
        }
    }

    /** {@return a 4- or 8-byte integer sysctl, or empty if it does not exist here} */
    OptionalLong number(String name) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment value = arena.allocate(JAVA_LONG);
            MemorySegment length = arena.allocate(JAVA_LONG);
            length.set(JAVA_LONG, 0, 8);
            if (kernel.sysctlbyname(name, value, length, MemorySegment.NULL, 0) != 0) {
                return OptionalLong.empty();
            }
            long size = length.get(JAVA_LONG, 0);
            return size == 8 ? OptionalLong.of(value.get(JAVA_LONG, 0))
                    : size == 4 ? OptionalLong.of(value.get(JAVA_INT, 0)) : OptionalLong.empty();
        }
    }

    /** {@return a string sysctl, or empty if it does not exist here} */
    Optional<String> string(String name) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment length = arena.allocate(JAVA_LONG);
            if (kernel.sysctlbyname(name, MemorySegment.NULL, length, MemorySegment.NULL, 0) != 0) {
                return Optional.empty();
            }
            MemorySegment value = arena.allocate(Math.max(1, length.get(JAVA_LONG, 0)));
            if (kernel.sysctlbyname(name, value, length, MemorySegment.NULL, 0) != 0) {
                return Optional.empty();
            }
            return Optional.of(value.getString(0));
        }
    }

    /** OSHI's view of the host, or empty if OSHI cannot run here (JNA missing, sandboxed). */
    static Optional<HostFacts> oshiFacts() {
        try {
            SystemInfo info = new SystemInfo();
            return Optional.of(new HostFacts(info.getOperatingSystem().toString(),
                    info.getHardware().getMemory().getAvailable()));
        } catch (RuntimeException | LinkageError e) {
            return Optional.empty();
        }
    }
}
