package dev.pagealloc.windows;

import dev.pagealloc.testkit.sim.SimulatedWin32;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** {@link Win32Kernel} over a {@link SimulatedWin32}: each call forwarded as it is. */
class SimulatedWin32Kernel implements Win32Kernel {
    final SimulatedWin32 sim;

    SimulatedWin32Kernel(SimulatedWin32 sim) {
        this.sim = sim;
    }

    @Override public long virtualAlloc(long a, long s, int t, int p) { return sim.virtualAlloc(a, s, t, p); }
    @Override public long virtualAllocExNuma(long h, long a, long s, int t, int p, int n) {
        return sim.virtualAllocExNuma(h, a, s, t, p, n);
    }
    @Override public int virtualFree(long a, long s, int t) { return sim.virtualFree(a, s, t); }
    @Override public int virtualProtect(long a, long s, int p, MemorySegment o) {
        return sim.virtualProtect(a, s, p, o);
    }
    @Override public long virtualQuery(long a, MemorySegment b, long l) { return sim.virtualQuery(a, b, l); }
    @Override public int discardVirtualMemory(long a, long s) { return sim.discardVirtualMemory(a, s); }
    @Override public int virtualLock(long a, long s) { return sim.virtualLock(a, s); }
    @Override public long getLargePageMinimum() { return sim.getLargePageMinimum(); }
    @Override public int flushInstructionCache(long h, long a, long s) { return sim.flushInstructionCache(h, a, s); }
    // The simulation models no sections: the dual mapping is tested over a mocked kernel instead.
    @Override public long createFileMappingW(long f, long a, int p, int h, int l, long n) { return noSections(); }
    @Override public long mapViewOfFileEx(long s, int a, int h, int l, long b, long at) { return noSections(); }
    @Override public int unmapViewOfFile(long a) { return (int) noSections(); }

    private static long noSections() {
        throw new UnsupportedOperationException("SimulatedWin32 models no sections");
    }
    @Override public long getCurrentProcess() { return sim.getCurrentProcess(); }
    @Override public void getSystemInfo(MemorySegment i) { sim.system().getSystemInfo(i); }
    @Override public int getActiveProcessorCount(short g) { return sim.system().getActiveProcessorCount(g); }
    @Override public int getNumaHighestNodeNumber(MemorySegment n) {
        return sim.system().getNumaHighestNodeNumber(n);
    }
    @Override public int getNumaAvailableMemoryNodeEx(short n, MemorySegment b) {
        return sim.system().getNumaAvailableMemoryNodeEx(n, b);
    }
    @Override public int openProcessToken(long p, int a, MemorySegment t) {
        return sim.system().openProcessToken(p, a, t);
    }
    @Override public int lookupPrivilegeValueW(MemorySegment s, MemorySegment n, MemorySegment l) {
        return sim.system().lookupPrivilegeValueW(s, n, l);
    }
    @Override public int adjustTokenPrivileges(long t, int d, MemorySegment n, int b, MemorySegment p,
            MemorySegment r) {
        return sim.system().adjustTokenPrivileges(t, d, n, b, p, r);
    }
    @Override public int closeHandle(long h) { return sim.system().closeHandle(h); }
    @Override public int formatMessageW(int f, long s, int m, int l, MemorySegment b, int n, long a) {
        return sim.formatMessageW(f, s, m, l, b, n, a);
    }
    @Override public int getLastError() { return sim.getLastError(); }

    /** {@return a provider over the simulation that believes it runs on Windows, on a host of 16 GiB} */
    WindowsPlatformProvider provider() {
        return new WindowsPlatformProvider(this,
                () -> Optional.of(new WindowsProbe.HostFacts("Microsoft Windows 11 (simulated)", 16L << 30,
                        Map.of(0, List.of(0, 1, 2, 3), 1, List.of(4, 5, 6, 7)))),
                "Windows 11");
    }
}
