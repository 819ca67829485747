package dev.pagealloc.wasm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Seeded random sequences of every operation against a plain {@code byte[]} model: each result, each
 * trap (and that a trapping operation changed nothing), each grow, and the whole contents every few
 * steps. A failure names the seed and the step; replay one seed with
 * {@code -Dpagealloc.wasm.seed=SEED}.
 */
class LinearMemoryModelTest {
    private static final int SEEDS = 8;
    private static final int STEPS = 2_000;

    @ParameterizedTest(name = "{0}, pageBytes={1}, pages {2}..{3}")
    @CsvSource({"I32, 65536, 1, 3", "I32, 1, 17, 300", "I32, 1, 0, 40", "I64, 65536, 0, 2", "I64, 1, 5, 100"})
    void shouldMatchAByteArrayModel(IndexType indexType, long pageBytes, long minimumPages, long maximumPages) {
        String replay = System.getProperty("pagealloc.wasm.seed");
        long[] seeds = replay != null ? new long[] {Long.parseLong(replay)}
                : LongStream.range(0, SEEDS).map(i -> new SplittableRandom().nextLong()).toArray();
        for (long seed : seeds) {
            MemoryType type = new MemoryType(indexType, pageBytes, minimumPages, maximumPages, true);
            long otherPages = Math.max(1, 64 / pageBytes);
            try (LinearMemory memory = TestStorage.memory(type);
                    LinearMemory other = TestStorage.memory(new MemoryType(indexType, pageBytes, otherPages,
                            otherPages, false))) {
                new Run(seed, memory, other, pageBytes, maximumPages).steps();
            }
        }
    }

    /** One replayable sequence. */
    private static final class Run {
        private final long seed;
        private final SplittableRandom random;
        private final LinearMemory memory;
        /** A second memory, for copies between memories (multi-memory). */
        private final LinearMemory other;
        private final byte[] otherModel;
        private final long pageBytes;
        private final long maximumPages;
        private byte[] model;
        private int step;
        private String operation = "";

        Run(long seed, LinearMemory memory, LinearMemory other, long pageBytes, long maximumPages) {
            this.seed = seed;
            this.random = new SplittableRandom(seed);
            this.memory = memory;
            this.other = other;
            this.otherModel = new byte[(int) other.byteSize()];
            this.pageBytes = pageBytes;
            this.maximumPages = maximumPages;
            this.model = new byte[(int) memory.byteSize()];
        }

        void steps() {
            for (step = 0; step < STEPS; step++) {
                try {
                    step(random.nextInt(15));
                    if (step % 100 == 0) {
                        byte[] actual = new byte[model.length];
                        memory.read(0, actual, 0, actual.length);
                        assertArrayEquals(model, actual, "contents");
                        byte[] otherActual = new byte[otherModel.length];
                        other.read(0, otherActual, 0, otherActual.length);
                        assertArrayEquals(otherModel, otherActual, "the other memory's contents");
                    }
                } catch (AssertionError | RuntimeException e) {
                    throw new AssertionError("seed=" + seed + " (replay: -Dpagealloc.wasm.seed=" + seed + "), step="
                            + step + ", operation=" + operation + ", memoryBytes=" + model.length + ": " + e, e);
                }
            }
        }

        private void step(int kind) {
            int width = 1 << random.nextInt(4);
            long address = address(width);
            switch (kind) {
                case 0 -> {
                    long value = random.nextLong();
                    operation = "store(width=" + width + ", address=" + address + ")";
                    access(address, width, () -> store(width, address, value), () -> put(address, width, value));
                }
                case 1 -> {
                    operation = "load(width=" + width + ", address=" + address + ")";
                    access(address, width, () -> assertEquals(get(address, width), load(width, address)), () -> { });
                }
                case 2 -> {
                    operation = "loadSigned(width=" + width + ", address=" + address + ")";
                    access(address, width, () -> assertEquals(signed(get(address, width), width),
                            loadSigned(width, address)), () -> { });
                }
                case 3 -> {
                    operation = "v128(address=" + address + ")";
                    byte[] lanes = new byte[16];
                    random.nextBytes(lanes);
                    access(address, 16, () -> memory.storeV128(address, lanes),
                            () -> System.arraycopy(lanes, 0, model, (int) address, 16));
                    byte[] back = new byte[16];
                    access(address, 16, () -> {
                        memory.loadV128(address, back);
                        assertArrayEquals(Arrays.copyOfRange(model, (int) address, (int) address + 16), back);
                    }, () -> { });
                }
                case 4 -> {
                    long length = length();
                    long start = address(1);
                    byte value = (byte) random.nextInt();
                    operation = "fill(address=" + start + ", length=" + length + ")";
                    access(start, length, () -> memory.fill(start, value, length),
                            () -> Arrays.fill(model, (int) start, (int) (start + length), value));
                }
                case 5 -> {
                    long length = length();
                    long source = address(1);
                    long destination = random.nextBoolean() ? address(1)
                            : Math.max(0, source + random.nextInt(-8, 9));
                    operation = "copy(destination=" + destination + ", source=" + source + ", length=" + length + ")";
                    boolean fits = fits(source, length) && fits(destination, length);
                    expect(fits, () -> memory.copy(destination, source, length),
                            () -> System.arraycopy(model, (int) source, model, (int) destination, (int) length));
                }
                case 6 -> {
                    byte[] data = new byte[random.nextInt(40)];
                    random.nextBytes(data);
                    DataSegment segment = new DataSegment(data);
                    if (random.nextInt(5) == 0) {
                        segment.drop();
                    }
                    long length = random.nextInt(45);
                    long from = random.nextInt(45);
                    long to = address(1);
                    operation = "init(address=" + to + ", segmentOffset=" + from + ", length=" + length + ")";
                    boolean fits = fits(to, length) && from + length <= segment.byteSize();
                    expect(fits, () -> memory.init(to, segment, from, length),
                            () -> System.arraycopy(data, (int) from, model, (int) to, (int) length));
                }
                case 7 -> {
                    int length = random.nextInt(300);
                    byte[] bytes = new byte[length];
                    random.nextBytes(bytes);
                    long start = address(1);
                    operation = "write(address=" + start + ", length=" + length + ")";
                    access(start, length, () -> memory.write(start, bytes, 0, length),
                            () -> System.arraycopy(bytes, 0, model, (int) start, length));
                    byte[] back = new byte[length];
                    access(start, length, () -> {
                        memory.read(start, back, 0, length);
                        assertArrayEquals(Arrays.copyOfRange(model, (int) start, (int) start + length), back);
                    }, () -> { });
                }
                case 8 -> {
                    long delta = random.nextInt(8) == 0 ? -1 : random.nextInt(3);
                    operation = "grow(deltaPages=" + delta + ")";
                    long oldPages = model.length / pageBytes;
                    boolean fits = delta >= 0 && oldPages + delta <= maximumPages;
                    assertEquals(fits ? oldPages : -1, memory.grow(delta));
                    if (fits) {
                        model = Arrays.copyOf(model, (int) ((oldPages + delta) * pageBytes));
                    }
                    assertEquals(model.length, memory.byteSize());
                }
                case 9, 10 -> {
                    AtomicOp op = AtomicOp.values()[random.nextInt(AtomicOp.values().length)];
                    long aligned = address & -width;
                    long operand = random.nextLong();
                    operation = "atomicRmw(" + op + ", width=" + width + ", address=" + aligned + ")";
                    atomic(aligned, width, () -> assertEquals(get(aligned, width),
                            memory.atomicRmw(op, width, aligned, operand)),
                            () -> put(aligned, width, op.apply(get(aligned, width), operand)));
                }
                case 11 -> {
                    long aligned = address & -width;
                    boolean match = fits(aligned, width) && random.nextBoolean();
                    long ignoredHighBytes = width < 8 ? random.nextLong() << (8 * width) : 0;
                    long expected = match ? get(aligned, width) | ignoredHighBytes : random.nextLong();
                    long replacement = random.nextLong();
                    operation = "atomicCompareExchange(width=" + width + ", address=" + aligned + ")";
                    atomic(aligned, width, () -> assertEquals(get(aligned, width),
                            memory.atomicCompareExchange(width, aligned, expected, replacement)), () -> {
                                if (get(aligned, width) == (expected & Atomics.mask(width))) {
                                    put(aligned, width, replacement);
                                }
                            });
                }
                case 12 -> {
                    long aligned = address & -width;
                    long value = random.nextLong();
                    operation = "atomicStore(width=" + width + ", address=" + aligned + ")";
                    atomic(aligned, width, () -> memory.atomicStore(width, aligned, value),
                            () -> put(aligned, width, value));
                }
                case 13 -> {
                    long length = random.nextInt(80);
                    long from = address(1);
                    long to = random.nextInt(otherModel.length + 8);
                    boolean outward = random.nextBoolean();
                    operation = "copy between memories(outward=" + outward + ", from=" + from + ", to=" + to
                            + ", length=" + length + ")";
                    boolean fits = fits(from, length) && to + length <= otherModel.length;
                    if (outward) {
                        expect(fits, () -> LinearMemory.copy(memory, from, other, to, length),
                                () -> System.arraycopy(model, (int) from, otherModel, (int) to, (int) length));
                    } else {
                        expect(fits, () -> LinearMemory.copy(other, to, memory, from, length),
                                () -> System.arraycopy(otherModel, (int) to, model, (int) from, (int) length));
                    }
                }
                default -> {
                    operation = "atomicLoad(width=" + width + ", address=" + address + ")";
                    if ((address & (width - 1)) != 0) {
                        assertEquals(MemoryAccessTrap.Kind.UNALIGNED_ATOMIC,
                                assertThrows(MemoryAccessTrap.class, () -> memory.atomicLoad(width, address)).kind());
                    } else {
                        atomic(address, width, () -> assertEquals(get(address, width),
                                memory.atomicLoad(width, address)), () -> { });
                    }
                }
            }
        }

        /** Mostly near the end, where traps begin; sometimes anywhere, sometimes far out. */
        private long address(int width) {
            return switch (random.nextInt(10)) {
                case 0 -> random.nextBoolean() ? 0xFFFF_FFFFL - random.nextInt(16) : -1L - random.nextInt(16);
                case 1, 2, 3 -> Math.max(0, model.length - width + random.nextInt(-4, 5));
                default -> random.nextLong(model.length + 1L);
            };
        }

        private long length() {
            return random.nextInt(20) == 0 ? -1L - random.nextInt(3) : random.nextInt(200);
        }

        private boolean fits(long address, long length) {
            return address >= 0 && length >= 0 && address + length <= model.length;
        }

        /** Runs an access of {@code width} bytes: it must trap exactly when the model says so. */
        private void access(long address, long width, Executable action, Runnable onModel) {
            expect(fits(address, width), action, onModel);
        }

        private void atomic(long aligned, int width, Executable action, Runnable onModel) {
            expect(fits(aligned, width), action, onModel);
        }

        private void expect(boolean fits, Executable action, Runnable onModel) {
            if (fits) {
                try {
                    action.execute();
                } catch (Throwable t) {
                    throw new AssertionError(t);
                }
                onModel.run();
            } else {
                MemoryAccessTrap trap = assertThrows(MemoryAccessTrap.class, action);
                assertEquals(MemoryAccessTrap.Kind.OUT_OF_BOUNDS, trap.kind());
            }
        }

        /** The model's value; 0 outside the model, where the memory's own call must trap first. */
        private long get(long address, int width) {
            if (!fits(address, width)) {
                return 0;
            }
            long value = 0;
            for (int i = width - 1; i >= 0; i--) {
                value = (value << 8) | (model[(int) address + i] & 0xFF);
            }
            return value;
        }

        private void put(long address, int width, long value) {
            for (int i = 0; i < width; i++) {
                model[(int) address + i] = (byte) (value >>> (8 * i));
            }
        }

        private static long signed(long value, int width) {
            int shift = 64 - 8 * width;
            return value << shift >> shift;
        }

        private void store(int width, long address, long value) {
            switch (width) {
                case 1 -> memory.storeI8(address, (byte) value);
                case 2 -> memory.storeI16(address, (short) value);
                case 4 -> {
                    if (random.nextBoolean()) {
                        memory.storeI32(address, (int) value);
                    } else {
                        memory.storeF32(address, Float.intBitsToFloat((int) value));
                    }
                }
                default -> {
                    if (random.nextBoolean()) {
                        memory.storeI64(address, value);
                    } else {
                        memory.storeF64(address, Double.longBitsToDouble(value));
                    }
                }
            }
        }

        private long load(int width, long address) {
            return switch (width) {
                case 1 -> memory.loadU8(address);
                case 2 -> memory.loadU16(address);
                case 4 -> random.nextBoolean() ? memory.loadU32(address)
                        : Integer.toUnsignedLong(Float.floatToRawIntBits(memory.loadF32(address)));
                default -> random.nextBoolean() ? memory.loadI64(address)
                        : Double.doubleToRawLongBits(memory.loadF64(address));
            };
        }

        private long loadSigned(int width, long address) {
            return switch (width) {
                case 1 -> memory.loadI8(address);
                case 2 -> memory.loadI16(address);
                case 4 -> memory.loadI32(address);
                default -> memory.loadI64(address);
            };
        }
    }
}
