package dev.pagealloc.reliability.lincheck;

import dev.pagealloc.wasm.AtomicOp;
import dev.pagealloc.wasm.LinearMemory;
import dev.pagealloc.wasm.MemoryType;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.LongGen;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.jetbrains.lincheck.datastructures.Validate;
import org.junit.jupiter.api.Test;

/**
 * Lincheck on a shared linear memory's atomics: 8-byte and 4-byte cells at aligned addresses, loads,
 * stores, add, exchange and compare-exchange from three threads, checked for linearizability against
 * {@link AtomicsSpecification}, two plain {@code long}s. Grow runs alongside: growing must not lose or
 * tear an atomic on the pages already there.
 */
@Param(name = "value", gen = LongGen.class, conf = "0:3")
@Param(name = "cell", gen = IntGen.class, conf = "0:1")
public class AtomicsLincheckTest {
    private static final Queue<LinearMemory> MADE = new ConcurrentLinkedQueue<>();
    private final LinearMemory memory = LinearMemory.create(MemoryType.sharedI32(1, 3));

    /** A fresh memory for each invocation, released by {@link #release()}. */
    public AtomicsLincheckTest() {
        MADE.add(memory);
    }

    /** Cell 0 is the 8-byte value at 0, cell 1 the 4-byte value at 65532, the last word of the first page. */
    private static long address(int cell) {
        return cell == 0 ? 0 : MemoryType.WASM_PAGE_BYTES - 4;
    }

    private static int width(int cell) {
        return cell == 0 ? 8 : 4;
    }

    /**
     * {@return the cell's value}
     *
     * @param cell 0 or 1
     */
    @Operation
    public long load(@Param(name = "cell") int cell) {
        return memory.atomicLoad(width(cell), address(cell));
    }

    /**
     * Stores into the cell.
     *
     * @param cell 0 or 1
     * @param value the value
     */
    @Operation
    public void store(@Param(name = "cell") int cell, @Param(name = "value") long value) {
        memory.atomicStore(width(cell), address(cell), value);
    }

    /**
     * {@return the old value, after adding}
     *
     * @param cell 0 or 1
     * @param value the operand
     */
    @Operation
    public long add(@Param(name = "cell") int cell, @Param(name = "value") long value) {
        return memory.atomicRmw(AtomicOp.ADD, width(cell), address(cell), value);
    }

    /**
     * {@return the old value, after exchanging}
     *
     * @param cell 0 or 1
     * @param value the new value
     */
    @Operation
    public long exchange(@Param(name = "cell") int cell, @Param(name = "value") long value) {
        return memory.atomicRmw(AtomicOp.EXCHANGE, width(cell), address(cell), value);
    }

    /**
     * {@return the old value; replaced by {@code value + 1} if it was {@code value}}
     *
     * @param cell 0 or 1
     * @param value the expected value
     */
    @Operation
    public long compareExchange(@Param(name = "cell") int cell, @Param(name = "value") long value) {
        return memory.atomicCompareExchange(width(cell), address(cell), value, value + 1);
    }

    /** {@return memory.grow(1): the old size in pages, or -1} */
    @Operation
    public long grow() {
        return memory.grow(1);
    }

    /** Releases the memory at the end of each invocation. */
    @Validate
    public void release() {
        memory.close();
        MADE.remove(memory);
    }

    @Test
    void shouldBeLinearizable() {
        new StressOptions().sequentialSpecification(AtomicsSpecification.class)
                .iterations(Integer.getInteger("reliability.lincheck.iterations", 10))
                .invocationsPerIteration(150).threads(3).actorsPerThread(4)
                .check(AtomicsLincheckTest.class);
        MADE.forEach(LinearMemory::close);
        // A closed memory is unmapped once unreachable (its Cleaner): let go of the last ones.
        MADE.clear();
    }
}
