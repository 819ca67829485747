package dev.pagealloc.reliability.fuzz;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import dev.pagealloc.chicory.PageallocMemory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * Action chains on a {@link PageallocMemory} through Chicory's {@link Memory} interface, against Chicory's
 * own {@link ByteArrayMemory} as the model: loads and stores at every width, bulk {@code readBytes},
 * {@code write}, {@code fill}, {@code copy}, {@code zero}, {@code grow} past the maximum, and every atomic at
 * every width. Each call must return what the model returns or throw what it throws (type and message, to the
 * character); at the end both hold the same pages and bytes.
 *
 * <p>Atomics run on shared memories, aligned: {@code ByteArrayMemory} 1.7.5's narrow atomics fail on an
 * unshared memory (a null wait-state map reported as "out of bounds"), and it leaves alignment to the
 * interpreter, which checks it before calling the memory (see {@code PageallocMemoryTest}).
 */
public final class ChicoryMemoryFuzz {
    static final int MAXIMUM_PAGES = 4;

    private ChicoryMemoryFuzz() {}

    /** The memory under test and the model; made by the chain's first action. */
    public static final class State {
        PageallocMemory ours;
        ByteArrayMemory model;

        /** Compares the pages and every byte, then releases the memory. */
        public void close() {
            if (ours == null) {
                return;
            }
            AllocatorFuzz.check(ours.pages() == model.pages(), "pages " + ours.pages() + ", model " + model.pages());
            int bytes = model.pages() * Memory.PAGE_SIZE;
            byte[] have = ours.readBytes(0, bytes);
            byte[] want = model.readBytes(0, bytes);
            AllocatorFuzz.check(Arrays.equals(have, want), "bytes differ from the model at "
                    + Arrays.mismatch(have, want));
            ours.close();
            AllocatorFuzz.check(!ours.linearMemory().isAlive(), "close() left the linear memory alive");
        }
    }

    /** One call on a memory, its result as a comparable string. */
    @FunctionalInterface
    private interface Op {
        Object apply(Memory m, int addr, long value, int size);
    }

    private record Operation(String name, boolean atomic, Op op) {}

    private static final List<Operation> OPERATIONS = new ArrayList<>();

    private static void op(String name, Op op) {
        OPERATIONS.add(new Operation(name, name.startsWith("atomic"), op));
    }

    static {
        op("read", (m, a, v, s) -> m.read(a));
        op("readU8", (m, a, v, s) -> m.readU8(a));
        op("readI8", (m, a, v, s) -> m.readI8(a));
        op("readShort", (m, a, v, s) -> m.readShort(a));
        op("readI16", (m, a, v, s) -> m.readI16(a));
        op("readU16", (m, a, v, s) -> m.readU16(a));
        op("readInt", (m, a, v, s) -> m.readInt(a));
        op("readI32", (m, a, v, s) -> m.readI32(a));
        op("readU32", (m, a, v, s) -> m.readU32(a));
        op("readLong", (m, a, v, s) -> m.readLong(a));
        op("readI64", (m, a, v, s) -> m.readI64(a));
        op("readFloat", (m, a, v, s) -> Float.floatToRawIntBits(m.readFloat(a)));
        op("readDouble", (m, a, v, s) -> Double.doubleToRawLongBits(m.readDouble(a)));
        op("readF32", (m, a, v, s) -> m.readF32(a));
        op("readF64", (m, a, v, s) -> m.readF64(a));
        op("writeByte", (m, a, v, s) -> run(() -> m.writeByte(a, (byte) v)));
        op("writeShort", (m, a, v, s) -> run(() -> m.writeShort(a, (short) v)));
        op("writeI32", (m, a, v, s) -> run(() -> m.writeI32(a, (int) v)));
        op("writeLong", (m, a, v, s) -> run(() -> m.writeLong(a, v)));
        op("writeF32", (m, a, v, s) -> run(() -> m.writeF32(a, Float.intBitsToFloat((int) v))));
        op("writeF64", (m, a, v, s) -> run(() -> m.writeF64(a, Double.longBitsToDouble(v))));
        op("readBytes", (m, a, v, s) -> Arrays.hashCode(m.readBytes(a, s)));
        op("write", (m, a, v, s) -> run(() -> m.write(a, bytes(v, Math.max(s, 0) + 3), (int) (v & 3), s)));
        op("fill", (m, a, v, s) -> run(() -> m.fill((byte) v, a, a + s)));
        op("copy", (m, a, v, s) -> run(() -> m.copy(a, (int) (v & 0x3_FFFF), s)));
        op("zero", (m, a, v, s) -> run(m::zero));
        op("grow", (m, a, v, s) -> m.grow((int) (v & 3)));
        op("pages", (m, a, v, s) -> m.pages());
        int[] widths = {1, 2, 4, 8};
        for (int w : widths) {
            op("atomicRead" + w, (m, a, v, s) -> atomic(m, "read", w, a, v));
            op("atomicWrite" + w, (m, a, v, s) -> atomic(m, "write", w, a, v));
            for (String rmw : new String[] {"add", "and", "or", "xor", "xchg", "cmpxchg", "cmpxchgCurrent"}) {
                op("atomic_" + rmw + w, (m, a, v, s) -> atomic(m, rmw, w, a, v));
            }
        }
    }

    private static Object run(Runnable call) {
        call.run();
        return null;
    }

    private static byte[] bytes(long seed, int length) {
        byte[] data = new byte[length];
        new SplittableRandom(seed).nextBytes(data);
        return data;
    }

    /**
     * {@code atomicCmpxchgByte}, but on the model its effect through the model's atomic read and write:
     * {@code ByteArrayMemory} 1.7.5's own throws {@link ArrayIndexOutOfBoundsException} on in-bounds addresses
     * (9,169 of 244,391 chains in a four-minute run here), a defect of the model, not of ours.
     */
    private static byte cmpxchgByte(Memory m, int a, byte expected, byte replacement) {
        if (!(m instanceof ByteArrayMemory)) {
            return m.atomicCmpxchgByte(a, expected, replacement);
        }
        byte old = m.atomicReadByte(a);
        if (old == expected) {
            m.atomicWriteByte(a, replacement);
        }
        return old;
    }

    /** One atomic at {@code width} bytes: Chicory's per-width methods, so every one of them is called. */
    private static Object atomic(Memory m, String what, int width, int a, long v) {
        return switch (width) {
            case 1 -> switch (what) {
                case "read" -> m.atomicReadByte(a);
                case "write" -> run(() -> m.atomicWriteByte(a, (byte) v));
                case "add" -> m.atomicAddByte(a, (byte) v);
                case "and" -> m.atomicAndByte(a, (byte) v);
                case "or" -> m.atomicOrByte(a, (byte) v);
                case "xor" -> m.atomicXorByte(a, (byte) v);
                case "xchg" -> m.atomicXchgByte(a, (byte) v);
                case "cmpxchg" -> cmpxchgByte(m, a, (byte) (v >>> 8), (byte) v);
                default -> cmpxchgByte(m, a, m.atomicReadByte(a), (byte) v);
            };
            case 2 -> switch (what) {
                case "read" -> m.atomicReadShort(a);
                case "write" -> run(() -> m.atomicWriteShort(a, (short) v));
                case "add" -> m.atomicAddShort(a, (short) v);
                case "and" -> m.atomicAndShort(a, (short) v);
                case "or" -> m.atomicOrShort(a, (short) v);
                case "xor" -> m.atomicXorShort(a, (short) v);
                case "xchg" -> m.atomicXchgShort(a, (short) v);
                case "cmpxchg" -> m.atomicCmpxchgShort(a, (short) (v >>> 16), (short) v);
                default -> m.atomicCmpxchgShort(a, m.atomicReadShort(a), (short) v);
            };
            case 4 -> switch (what) {
                case "read" -> m.atomicReadInt(a);
                case "write" -> run(() -> m.atomicWriteInt(a, (int) v));
                case "add" -> m.atomicAddInt(a, (int) v);
                case "and" -> m.atomicAndInt(a, (int) v);
                case "or" -> m.atomicOrInt(a, (int) v);
                case "xor" -> m.atomicXorInt(a, (int) v);
                case "xchg" -> m.atomicXchgInt(a, (int) v);
                case "cmpxchg" -> m.atomicCmpxchgInt(a, (int) (v >>> 32), (int) v);
                default -> m.atomicCmpxchgInt(a, m.atomicReadInt(a), (int) v);
            };
            default -> switch (what) {
                case "read" -> m.atomicReadLong(a);
                case "write" -> run(() -> m.atomicWriteLong(a, v));
                case "add" -> m.atomicAddLong(a, v);
                case "and" -> m.atomicAndLong(a, v);
                case "or" -> m.atomicOrLong(a, v);
                case "xor" -> m.atomicXorLong(a, v);
                case "xchg" -> m.atomicXchgLong(a, v);
                case "cmpxchg" -> m.atomicCmpxchgLong(a, ~v, v);
                default -> m.atomicCmpxchgLong(a, m.atomicReadLong(a), v);
            };
        };
    }

    /**
     * {@return a chain of up to {@code steps} actions}, drawn from {@code random}: the same seed gives the
     * same chain. The first action makes the memories, shared or not.
     *
     * @param random the source, seeded
     * @param steps the most actions after the first
     */
    public static List<Step<State>> chain(SplittableRandom random, int steps) {
        List<Step<State>> chain = new ArrayList<>();
        boolean shared = random.nextBoolean();
        int initial = random.nextInt(0, 3);
        chain.add(new Step<>("create(" + initial + ", " + MAXIMUM_PAGES + ", shared=" + shared + ")", s -> {
            MemoryLimits limits = new MemoryLimits(initial, MAXIMUM_PAGES, shared);
            s.model = new ByteArrayMemory(limits);
            s.ours = PageallocMemory.create(limits);
        }));
        int count = random.nextInt(steps + 1);
        for (int n = 0; n < count; n++) {
            Operation operation = OPERATIONS.get(random.nextInt(OPERATIONS.size()));
            if (operation.atomic() && !shared) {
                operation = OPERATIONS.get(random.nextInt(OPERATIONS.size()));
                if (operation.atomic()) {
                    continue;
                }
            }
            int addressChoice = random.nextInt(6);
            int within = random.nextInt(0, Integer.MAX_VALUE);
            long value = random.nextLong();
            int size = random.nextInt(4) == 0 ? random.nextInt(-2, 3 * Memory.PAGE_SIZE) : random.nextInt(0, 64);
            Operation call = operation;
            int alignment = call.atomic() ? Integer.parseInt(call.name().substring(call.name().length() - 1)) : 1;
            chain.add(new Step<>(call.name() + "(address choice " + addressChoice + ", " + within + ", " + value + ", "
                    + size + ")", s -> {
                        int addr = address(addressChoice, within, s.model.pages()) & -alignment;
                        compare(s, call, addr, value, size);
                    }));
        }
        return chain;
    }

    /** Addresses near the interesting places: the start, the end, across it, negative, anywhere. */
    private static int address(int choice, int within, int pages) {
        int bytes = pages * Memory.PAGE_SIZE;
        return switch (choice) {
            case 0 -> within % 256;
            case 1 -> bytes - 1 - within % 16;
            case 2 -> bytes + within % 16;
            case 3 -> -1 - within;
            case 4 -> MAXIMUM_PAGES * Memory.PAGE_SIZE - within % 16;
            default -> bytes == 0 ? within % 64 : within % bytes;
        };
    }

    private static void compare(State s, Operation call, int addr, long value, int size) {
        String want = outcome(() -> call.op().apply(s.model, addr, value, size));
        String have = outcome(() -> call.op().apply(s.ours, addr, value, size));
        AllocatorFuzz.check(want.equals(have), call.name() + "(" + addr + ", " + value + ", " + size + "): model "
                + want + ", ours " + have);
        if (want.startsWith("threw") || want.equals("returned -1") && call.name().equals("grow")) {
            Step.refused();
        }
    }

    private static String outcome(Supplier<Object> call) {
        try {
            return "returned " + Objects.toString(call.get());
        } catch (RuntimeException e) {
            return "threw " + e.getClass().getName() + ": " + e.getMessage();
        }
    }
}
