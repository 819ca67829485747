package dev.pagealloc.jit;

import dev.pagealloc.spi.ExecutableMemory;
import java.util.Optional;

/**
 * Makes instruction fetches see code just written, before it first runs and after every patch.
 *
 * <ul>
 *   <li>x86-64: instruction fetches are coherent with stores to the same physical memory, through
 *       either virtual address (Intel SDM vol. 3A, section 11.6 "Self-modifying code"), so Linux's flush is
 *       a no-op there. The platform's flush is called all the same where there is one: Windows documents
 *       {@code FlushInstructionCache} as required after generating code on every architecture, and
 *       macOS's {@code sys_icache_invalidate} is Apple's to make a no-op on Intel. Without the platform
 *       feature (a protection flip on a platform with no dual mapping), x86-64 needs nothing.</li>
 *   <li>arm64: the data and instruction caches are not coherent. For each cache line written:
 *       {@code dc cvau, x} (clean data to the point of unification), {@code dsb ish}, then
 *       {@code ic ivau, x} (invalidate the instruction cache line), {@code dsb ish}, and {@code isb} on
 *       the thread that runs the code (Arm Architecture Reference Manual for A-profile, DDI 0487, "Concurrent
 *       modification and execution of instructions"). User space gets it as libgcc's
 *       {@code __clear_cache} on Linux, {@code sys_icache_invalidate} on macOS and
 *       {@code FlushInstructionCache} on Windows, which is what the platform's
 *       {@link ExecutableMemory#flushInstructionCache} calls. The address flushed is the executable
 *       view's: with dual mapping the lines are cleaned by physical address, so either view works for
 *       {@code dc}, and {@code ic ivau} takes the address code is fetched from. Another thread that
 *       already ran older code at that address needs its own {@code isb} (a context synchronization
 *       event); an FFM downcall's transition into native code is not one, so patching code that
 *       another thread is running is the patcher's protocol to design (see
 *       {@link CodeBuffer#makeWritable()}). Not run here: the machines that built this are x86-64.</li>
 * </ul>
 *
 * <p>Thread-safe and stateless.
 */
final class InstructionCache {
    private final Optional<ExecutableMemory> platform;

    private InstructionCache(Optional<ExecutableMemory> platform) {
        this.platform = platform;
    }

    /**
     * {@return the cache maintenance for {@code architecture}}
     *
     * @param architecture the JVM's {@code os.arch} as the allocator's capabilities report it
     * @param platform the platform's executable-memory feature, which flushes, if it has one
     * @throws UnsupportedOperationException if the architecture needs a flush and the platform offers none
     */
    static InstructionCache of(String architecture, Optional<ExecutableMemory> platform) {
        boolean coherent = isX86(architecture);
        if (!coherent && platform.isEmpty()) {
            throw new UnsupportedOperationException("JitMemory(architecture=" + architecture + "): this CPU needs its"
                    + " instruction cache flushed after code is written, and the platform offers no flush"
                    + " (no ExecutableMemory feature)");
        }
        return new InstructionCache(platform);
    }

    /**
     * {@return whether {@code architecture} is x86-64 (or x86), whose instruction fetches see stores}
     *
     * @param architecture an {@code os.arch} value
     */
    static boolean isX86(String architecture) {
        return switch (architecture) {
            case "amd64", "x86_64", "x86", "i386", "x86-64" -> true;
            default -> false;
        };
    }

    /**
     * Flushes {@code [address, +byteSize)}.
     *
     * @param executableAddress the first byte, in the executable view
     * @param byteSize the length, in bytes
     */
    void flush(long executableAddress, long byteSize) {
        // of() refused a CPU that is not coherent when there is no platform flush.
        platform.ifPresent(p -> p.flushInstructionCache(executableAddress, byteSize));
    }
}
