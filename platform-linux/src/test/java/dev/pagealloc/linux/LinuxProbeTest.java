package dev.pagealloc.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import dev.pagealloc.api.Capabilities;
import dev.pagealloc.api.Capabilities.HugePageSize;
import dev.pagealloc.api.Capabilities.NumaNode;
import dev.pagealloc.api.Capabilities.OvercommitPolicy;
import dev.pagealloc.api.Capabilities.TransparentHugePageMode;
import dev.pagealloc.api.Capabilities.WxStrategy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link LinuxProbe} over fake {@code /proc} and {@code /sys} trees (every file it parses, and
 * none at all) and once over this machine, compared with what the kernel files say directly.
 */
// Binds and calls the real Linux kernel (or reads its /proc); other OSes run their own backends.
@EnabledOnOs(OS.LINUX)
class LinuxProbeTest {
    private static final LinuxProbe.HostFacts HOST = new LinuxProbe.HostFacts("Test OS 1.0", 8L << 30, 6);

    @TempDir
    Path root;

    private LinuxKernel kernel;

    @BeforeEach
    void mockTheKernel() {
        kernel = mock(LinuxKernel.class);
        when(kernel.sysconf(LinuxAbi.SC_PAGESIZE)).thenReturn(4096L);
        when(kernel.memfdCreate(anyString(), anyInt())).thenReturn(7);
    }

    private void write(String relative, String text) throws IOException {
        Path file = root.resolve(relative);
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }

    private LinuxProbe probe(String architecture) {
        return new LinuxProbe(root, kernel, architecture, () -> Optional.of(HOST));
    }

    @Test
    void shouldReadEveryFactFromTheFiles() throws IOException {
        write("sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages", "1\n");
        write("sys/kernel/mm/hugepages/hugepages-1048576kB/free_hugepages", "0\n");
        write("sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "16\n");
        write("sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "12\n");
        write("sys/kernel/mm/transparent_hugepage/enabled", "always [madvise] never\n");
        write("sys/devices/system/node/node0/meminfo", "Node 0 MemTotal:  1000 kB\nNode 0 MemFree:   600 kB\n");
        write("sys/devices/system/node/node0/cpulist", "0-3,8,10-11\n");
        write("sys/devices/system/node/node1/meminfo", "Node 1 MemTotal:  0 kB\nNode 1 MemFree:   0 kB\n");
        write("sys/devices/system/node/node1/cpulist", "4-7\n");
        write("sys/devices/system/node/node2/meminfo", "Node 2 MemTotal:  2000 kB\nNode 2 MemFree:   100 kB\n");
        write("sys/devices/system/node/node2/cpulist", "\n");
        write("sys/devices/system/node/possible", "0-2\n");
        write("proc/sys/vm/overcommit_memory", "2\n");
        write("proc/self/cgroup", "0::/user.slice/app.scope\n");
        write("sys/fs/cgroup/user.slice/memory.max", "1073741824\n");
        write("sys/fs/cgroup/user.slice/app.scope/memory.max", "max\n");
        write("proc/cpuinfo", "processor\t: 0\nflags\t\t: fpu sse2 pku ospke avx2\naddress sizes\t: 46 bits "
                + "physical, 48 bits virtual\n");

        Capabilities c = probe("amd64").probe();

        assertEquals("linux", c.platform());
        assertEquals("Test OS 1.0", c.operatingSystem());
        assertEquals(4096, c.pageBytes());
        assertEquals(4096, c.allocationGranularityBytes());
        assertEquals(List.of(new HugePageSize(2L << 20, 16, 12), new HugePageSize(1L << 30, 1, 0)), c.hugePageSizes());
        assertEquals(TransparentHugePageMode.MADVISE, c.transparentHugePages());
        assertEquals(List.of(new NumaNode(0, 1000 * 1024, 600 * 1024, List.of(0, 1, 2, 3, 8, 10, 11)),
                new NumaNode(2, 2000 * 1024, 100 * 1024, List.of())), c.numaNodes(), "node 1 has no memory");
        assertFalse(c.memoryTagging());
        assertTrue(c.protectionKeys());
        assertEquals(Set.of(WxStrategy.PROTECTION_FLIP, WxStrategy.DUAL_MAPPING), c.wxStrategies());
        verify(kernel).close(7);
        assertEquals(47, c.addressBits(), "48-bit CPUs give user space 47 bits");
        assertEquals(OvercommitPolicy.NEVER, c.overcommit());
        assertEquals(OptionalLong.of(1L << 30), c.memoryLimitBytes(), "the tightest limit up the tree");
        assertEquals(8L << 30, c.totalMemoryBytes());
        assertEquals(6, c.processors());
    }

    @Test
    void shouldReadTheRealSysctlMappingLimitWholeAndCountTheMappings() throws IOException {
        // procfs reports size 0 and a sysctl file answers EOF at any offset but 0: a reader that sizes its
        // buffer by the file read "65530" as "6".
        long expected = Long.parseLong(Files.readAllLines(Path.of("/proc/sys/vm/max_map_count")).getFirst().strip());
        LinuxProbe system = LinuxProbe.ofSystem(kernel);
        assertEquals(OptionalLong.of(expected), system.maxMapCount());
        long count = system.mappingCount();
        long lines = Files.readAllLines(Path.of("/proc/self/maps")).size();
        assertTrue(Math.abs(count - lines) < 16, "mappingCount()=" + count + ", /proc/self/maps lines=" + lines);
        assertEquals(OptionalLong.empty(), new LinuxProbe(root, kernel, "amd64", Optional::empty).maxMapCount(),
                "no file, no limit stated");
    }

    @Test
    void shouldDegradeToAbsentFactsWhenNoFileExists() {
        when(kernel.memfdCreate(anyString(), anyInt())).thenReturn(-1);

        LinuxProbe probe = new LinuxProbe(root, kernel, "amd64", Optional::empty);
        Capabilities c = probe.probe();

        assertEquals(List.of(), c.hugePageSizes());
        assertEquals(TransparentHugePageMode.UNSUPPORTED, c.transparentHugePages());
        assertEquals(List.of(), c.numaNodes());
        assertFalse(c.protectionKeys());
        assertEquals(Set.of(WxStrategy.PROTECTION_FLIP), c.wxStrategies());
        assertEquals(47, c.addressBits());
        assertEquals(OvercommitPolicy.UNKNOWN, c.overcommit());
        assertEquals(OptionalLong.empty(), c.memoryLimitBytes());
        assertEquals(0, c.totalMemoryBytes(), "no /proc/meminfo");
        assertEquals(Runtime.getRuntime().availableProcessors(), c.processors());
        verify(kernel, never()).getauxval(LinuxAbi.AT_HWCAP2);
    }

    @Test
    void shouldIgnoreMalformedFiles() throws IOException {
        write("sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "many\n");
        write("sys/kernel/mm/hugepages/hugepages-huge/nr_hugepages", "1\n");
        write("sys/kernel/mm/transparent_hugepage/enabled", "always madvise never\n");
        write("sys/devices/system/node/node0/meminfo", "Node 0 MemTotal:  1000 kB\n");
        write("sys/devices/system/node/node0/cpulist", "0-x\n");
        write("proc/sys/vm/overcommit_memory", "often\n");
        write("proc/self/cgroup", "0::/a\nnonsense\n");
        write("sys/fs/cgroup/a/memory.max", "lots\n");
        write("proc/cpuinfo", "address sizes\t: unknown\n");

        Capabilities c = probe("amd64").probe();

        assertEquals(List.of(new HugePageSize(2L << 20, 0, 0)), c.hugePageSizes());
        assertEquals(TransparentHugePageMode.UNSUPPORTED, c.transparentHugePages());
        assertEquals(List.of(new NumaNode(0, 1000 * 1024, 0, List.of())), c.numaNodes());
        assertEquals(OvercommitPolicy.UNKNOWN, c.overcommit());
        assertEquals(OptionalLong.empty(), c.memoryLimitBytes());
        assertEquals(47, c.addressBits());
    }

    @Test
    void shouldReadCgroupV1LimitsAndIgnoreTheUnlimitedValue() throws IOException {
        write("proc/self/cgroup", "4:memory:/docker/abc\n1:cpu:/docker/abc\n0::/\n");
        write("sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes", "536870912\n");
        write("sys/fs/cgroup/memory/memory.limit_in_bytes", "9223372036854771712\n");
        assertEquals(OptionalLong.of(512L << 20), probe("amd64").memoryLimitBytes());
        write("sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes", "9223372036854771712\n");
        assertEquals(OptionalLong.empty(), probe("amd64").memoryLimitBytes());
    }

    @Test
    void shouldReadTheHybridUnifiedHierarchy() throws IOException {
        write("proc/self/cgroup", "0::/job\n");
        write("sys/fs/cgroup/unified/job/memory.max", "2147483648\n");
        assertEquals(OptionalLong.of(2L << 30), probe("amd64").memoryLimitBytes());
    }

    @Test
    void shouldCapTheUserAddressWidthAndReadArmFactsFromTheAuxiliaryVector() throws IOException {
        write("proc/cpuinfo", "flags\t: pku\naddress sizes\t: 52 bits physical, 57 bits virtual\n");
        assertEquals(47, probe("amd64").addressBits(), "la57 hands out high addresses only on request");
        assertFalse(probe("amd64").protectionKeys(), "pku without ospke is not usable");

        write("proc/self/maps", "aaaad0000000-aaaad0001000 r-xp 00000000 00:00 0\n"
                + "7fffd0000000-7fffd0021000 rw-p 00000000 00:00 0                          [stack]\n");
        when(kernel.getauxval(LinuxAbi.AT_HWCAP2)).thenReturn(1L << 18);
        LinuxProbe arm = probe("aarch64");
        assertEquals(47, arm.addressBits(), "from the top of the stack: a 47-bit address");
        assertNull(LinuxFeatures.taggingReason(kernel, "aarch64"), "MTE: the feature is present");
        assertTrue(arm.probe().memoryTagging(), "MTE hardware: commits map PROT_MTE (simulated only)");
        assertFalse(arm.protectionKeys());
        assertEquals("no MTE on amd64: ARM MTE is an arm64 extension", LinuxFeatures.taggingReason(kernel, "amd64"));
        when(kernel.getauxval(LinuxAbi.AT_HWCAP2)).thenReturn(0L);
        assertTrue(LinuxFeatures.taggingReason(kernel, "aarch64").contains("lacks HWCAP2_MTE"));
    }

    @Test
    void shouldReadThePageSizeFromTheAuxiliaryVectorAsSysconfDoes(@org.junit.jupiter.api.io.TempDir Path dir)
            throws IOException {
        assertEquals(java.util.OptionalLong.of(FfmLinuxKernel.INSTANCE.sysconf(LinuxAbi.SC_PAGESIZE)),
                LinuxProbe.auxvPageBytes(Path.of("/proc/self/auxv")));
        java.nio.ByteBuffer vector = java.nio.ByteBuffer.allocate(6 * Long.BYTES)
                .order(java.nio.ByteOrder.nativeOrder());
        vector.putLong(LinuxAbi.AT_HWCAP2).putLong(2).putLong(LinuxAbi.AT_PAGESZ).putLong(16384).putLong(0).putLong(0);
        Path arm = Files.write(dir.resolve("auxv"), vector.array());
        assertEquals(java.util.OptionalLong.of(16384), LinuxProbe.auxvPageBytes(arm));
        Path ended = Files.write(dir.resolve("ended"), java.util.Arrays.copyOfRange(vector.array(), 32, 48));
        assertEquals(java.util.OptionalLong.empty(), LinuxProbe.auxvPageBytes(ended));
        assertEquals(java.util.OptionalLong.empty(), LinuxProbe.auxvPageBytes(dir.resolve("missing")));
    }

    @Test
    void shouldMatchTheKernelFilesOnThisMachine() throws IOException {
        Capabilities c = LinuxProbe.ofSystem(FfmLinuxKernel.INSTANCE).probe();
        assertEquals(FfmLinuxKernel.INSTANCE.sysconf(LinuxAbi.SC_PAGESIZE), c.pageBytes());
        Path thp = Path.of("/sys/kernel/mm/transparent_hugepage/enabled");
        if (Files.exists(thp)) {
            String word = Files.readString(thp).replaceAll(".*\\[(\\w+)].*\\s*", "$1");
            assertEquals(word.toUpperCase(java.util.Locale.ROOT), c.transparentHugePages().name());
        }
        long nodes;
        try (var dirs = Files.list(Path.of("/sys/devices/system/node"))) {
            nodes = dirs.filter(p -> p.getFileName().toString().matches("node\\d+")).count();
        }
        assertTrue(c.numaNodes().size() <= nodes && (nodes == 0 || !c.numaNodes().isEmpty()), c.numaNodes()::toString);
        assertTrue(c.totalMemoryBytes() > 0);
        assertTrue(c.processors() > 0);
        assertTrue(c.wxStrategies().contains(WxStrategy.PROTECTION_FLIP));
        assertTrue(c.hugePageSizes().stream().allMatch(h -> Files.exists(Path.of(
                "/sys/kernel/mm/hugepages/hugepages-" + h.pageBytes() / 1024 + "kB"))));
    }
}
