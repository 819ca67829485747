package dev.pagealloc.chicory.programs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import dev.pagealloc.chicory.PageallocMemoryFactory;
import java.util.function.Function;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Each sample program's exact output, in Chicory's interpreter and compiler, on Chicory's ByteArrayMemory and
 * on ours; the expected values come from plain Java versions of the same algorithms, written below.
 */
class SampleProgramTest {

    @ParameterizedTest
    @CsvSource({"bytearray,false", "bytearray,true", "pagealloc,false", "pagealloc,true"})
    void sieveCountsThePrimesBelowAMillion(String memory, boolean compiled) {
        assertEquals(78_498, run(SampleProgram.SIEVE, memory, compiled, 1_000_000));
        assertEquals(78_498, sieveInJava(1_000_000));
    }

    @ParameterizedTest
    @CsvSource({"bytearray,false", "bytearray,true", "pagealloc,false", "pagealloc,true"})
    void hashOfFourMebibytesIsFnv1aOfXorshift(String memory, boolean compiled) {
        assertEquals(hashInJava(4), (int) run(SampleProgram.HASH, memory, compiled, 4));
    }

    @ParameterizedTest
    @CsvSource({"bytearray,false", "bytearray,true", "pagealloc,false", "pagealloc,true"})
    void sortOfFiftyThousandValuesIsSortedWithTheJavaChecksum(String memory, boolean compiled) {
        assertEquals(sortInJava(50_000), run(SampleProgram.SORT, memory, compiled, 50_000));
    }

    private static long run(SampleProgram program, String memory, boolean compiled, int argument) {
        if (memory.equals("pagealloc")) {
        }
        try (PageallocMemoryFactory ours = PageallocMemoryFactory.create()) {
            Function<MemoryLimits, Memory> memories = memory.equals("pagealloc") ? ours : ByteArrayMemory::new;
            Instance.Builder builder = Instance.builder(Parser.parse(program.wasm())).withMemoryFactory(memories);
            if (compiled) {
                builder.withMachineFactory(MachineFactoryCompiler::compile);
            }
            return builder.build().export(program.export()).apply(argument)[0];
        }
    }

    static int sieveInJava(int n) {
        boolean[] composite = new boolean[n];
        int count = 0;
        for (int i = 2; i < n; i++) {
            if (!composite[i]) {
                count++;
                for (long j = (long) i * i; j < n; j += i) {
                    composite[(int) j] = true;
                }
            }
        }
        return count;
    }

    static int hashInJava(int mib) {
        int x = (int) 2463534242L;
        int h = 0x811c9dc5;
        for (int i = 0; i < (mib << 20); i += 4) {
            x ^= x << 13;
            x ^= x >>> 17;
            x ^= x << 5;
            for (int b = 0; b < 4; b++) {
                h = (h ^ ((x >>> (8 * b)) & 0xFF)) * 0x01000193;
            }
        }
        return h;
    }

    static long sortInJava(int n) {
        int[] values = new int[n];
        int x = 42;
        for (int i = 0; i < n; i++) {
            x = x * 1664525 + 1013904223;
            values[i] = x >>> 1;
        }
        java.util.Arrays.sort(values);
        long sum = 0;
        for (int i = 0; i < n; i++) {
            sum += Integer.toUnsignedLong(values[i] ^ i);
        }
        return sum;
    }
}
