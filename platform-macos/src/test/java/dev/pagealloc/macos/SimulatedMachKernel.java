package dev.pagealloc.macos;

import dev.pagealloc.testkit.sim.SimulatedMach;
import java.lang.foreign.MemorySegment;

/** {@link MachKernel} over a {@link SimulatedMach}: each call forwarded as it is. */
record SimulatedMachKernel(SimulatedMach sim) implements MachKernel {
    @Override public int machTaskSelf() { return sim.machTaskSelf(); }
    @Override public int machVmAllocate(int t, MemorySegment a, long s, int f) {
        return sim.machVmAllocate(t, a, s, f);
    }
    @Override public int machVmDeallocate(int t, long a, long s) { return sim.machVmDeallocate(t, a, s); }
    @Override public int machVmProtect(int t, long a, long s, int m, int p) { return sim.machVmProtect(t, a, s, m, p); }
    @Override public int machVmCopy(int t, long src, long s, long dst) { return sim.machVmCopy(t, src, s, dst); }
    @Override public int machVmPurgableControl(int t, long a, int c, MemorySegment s) {
        return sim.machVmPurgableControl(t, a, c, s);
    }
    @Override public int machVmRemap(int t, MemorySegment ta, long s, long m, int f, int st, long sa, int c,
            MemorySegment cp, MemorySegment mp, int i) {
        return sim.machVmRemap(t, ta, s, m, f, st, sa, c, cp, mp, i);
    }
    @Override public int machVmRegion(int t, MemorySegment a, MemorySegment s, int f, MemorySegment i, MemorySegment c,
            MemorySegment o) { return sim.machVmRegion(t, a, s, f, i, c, o); }
    @Override public String machErrorString(int e) { return sim.machErrorString(e); }
    @Override public int madvise(long a, long l, int adv) { return sim.bsd().madvise(a, l, adv); }
    @Override public long mmap(long a, long l, int p, int f, int fd, long o) {
        return sim.bsd().mmap(a, l, p, f, fd, o);
    }
    @Override public int mlock(long a, long l) { return sim.bsd().mlock(a, l); }
    @Override public void sysIcacheInvalidate(long s, long l) { sim.bsd().sysIcacheInvalidate(s, l); }
    @Override public int sysctlbyname(String n, MemorySegment o, MemorySegment ol, MemorySegment np, long nl) {
        return sim.bsd().sysctlbyname(n, o, ol, np, nl);
    }
    @Override public int errno() { return sim.bsd().errno(); }
    @Override public String strerror(int e) { return sim.bsd().strerror(e); }

    /** {@return a provider over the simulation that believes it runs on macOS} */
    MacPlatformProvider provider() {
        return new MacPlatformProvider(this, java.util.Optional::empty, "Mac OS X");
    }
}
