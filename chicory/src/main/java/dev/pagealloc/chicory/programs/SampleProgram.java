package dev.pagealloc.chicory.programs;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Small real WebAssembly programs that exercise a linear memory, shipped as WAT sources beside their
 * assembled {@code .wasm} (wabt 1.0.32 {@code wat2wasm}): used by the tests, the benchmarks, the
 * {@code wasm run} command and the tour. Each grows its memory to fit its input.
 */
public enum SampleProgram {
    /** {@code sieve(n)}: the number of primes below {@code n}, one byte per number (sieve(1000000) = 78498). */
    SIEVE("sieve"),
    /** {@code hash(mib)}: FNV-1a over {@code mib} MiB of xorshift32 output, written as i32s then hashed by byte. */
    HASH("hash"),
    /** {@code sort(n)}: heapsort of {@code n} LCG values; -1 if unsorted after, else a checksum of the result. */
    SORT("sort"),
    /** {@code _start}: a WASI command writing one line to standard output with {@code fd_write}. */
    HELLO_WASI("_start");

    private final String export;

    SampleProgram(String export) {
        this.export = export;
    }

    /** {@return the file name without extension, e.g. {@code sieve} or {@code hello-wasi}} */
    public String fileName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** {@return the name of the function to call} */
    public String export() {
        return export;
    }

    /**
     * {@return the module's binary}, a new array each call
     *
     * @throws UncheckedIOException if the resource cannot be read
     */
    public byte[] wasm() {
        return read(fileName() + ".wasm");
    }

    /**
     * {@return the module's WAT source}
     *
     * @throws UncheckedIOException if the resource cannot be read
     */
    public String wat() {
        return new String(read(fileName() + ".wat"), StandardCharsets.UTF_8);
    }

    private static byte[] read(String resource) {
        try (InputStream in = SampleProgram.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new UncheckedIOException(new IOException("sample program resource missing: " + resource));
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read sample program " + resource, e);
        }
    }
}
