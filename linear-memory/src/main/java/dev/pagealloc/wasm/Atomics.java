package dev.pagealloc.wasm;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Sequentially consistent atomic accesses on a segment, at WebAssembly's widths (1, 2, 4 and 8 bytes),
 * little-endian. Callers have checked the width, the alignment and the bounds: every address here is
 * a multiple of its width and inside the segment.
 *
 * <p>32- and 64-bit operations are the segment var handles' volatile access modes
 * ({@code getVolatile}, {@code compareAndExchange}, {@code getAndAdd}, ...), which the JDK implements
 * with the processor's atomic instructions. Segment var handles have no read-modify-write for 8- and
 * 16-bit values ({@link java.lang.foreign.ValueLayout#varHandle()}: numeric and bitwise atomic update
 * modes are for {@code int}, {@code long} and wider carriers), so narrow operations run a
 * compare-and-exchange loop on the aligned 32-bit word that contains them; that needs the whole word
 * inside the segment, which holds when the memory's size is a multiple of 4 bytes ({@link #wordSafe}).
 * Memories that may end mid-word (custom pages under 4 bytes) use the {@code serial*} forms instead,
 * every atomic access of the memory under one lock.
 *
 * <p>The var handles state little-endian order, so the results are WebAssembly's on any platform; on
 * x86-64 and arm64, the platforms this library ships for, that is the native order and no access
 * swaps bytes (asserted below). Stateless and thread-safe.
 */
final class Atomics {

    private static final VarHandle I8 = JAVA_BYTE.varHandle();
    private static final VarHandle I16 = JAVA_SHORT.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();
    private static final VarHandle I32 = JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();
    private static final VarHandle I64 = JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();

    static {
        // Correct either way; the assertion says where the speed was measured (no byte swaps).
        assert ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN : "measured on little-endian platforms only";
    }

    private Atomics() {}

    /** {@return whether narrow operations may use their containing word in a memory of this page size} */
    static boolean wordSafe(long pageBytes) {
        return pageBytes % Integer.BYTES == 0;
    }

    /** {@return the mask of a value of {@code widthBytes} bytes, in 64 bits} */
    static long mask(int widthBytes) {
        return widthBytes == Long.BYTES ? -1L : (1L << (widthBytes * 8)) - 1;
    }

    static long load(MemorySegment segment, int widthBytes, long address) {
        return switch (widthBytes) {
            case 8 -> (long) I64.getVolatile(segment, address);
            case 4 -> Integer.toUnsignedLong((int) I32.getVolatile(segment, address));
            default -> {
                int shift = shift(address);
                yield ((int) I32.getVolatile(segment, wordOf(address)) >>> shift) & mask(widthBytes);
            }
        };
    }

    static void store(MemorySegment segment, int widthBytes, long address, long value) {
        switch (widthBytes) {
            case 8 -> I64.setVolatile(segment, address, value);
            case 4 -> I32.setVolatile(segment, address, (int) value);
            default -> narrowRmw(segment, AtomicOp.EXCHANGE, widthBytes, address, value);
        }
    }

    /** {@return the old value, zero-extended} */
    static long rmw(MemorySegment segment, AtomicOp op, int widthBytes, long address, long operand) {
        if (widthBytes == 8) {
            return switch (op) {
                case ADD -> (long) I64.getAndAdd(segment, address, operand);
                case SUB -> (long) I64.getAndAdd(segment, address, -operand);
                case AND -> (long) I64.getAndBitwiseAnd(segment, address, operand);
                case OR -> (long) I64.getAndBitwiseOr(segment, address, operand);
                case XOR -> (long) I64.getAndBitwiseXor(segment, address, operand);
                case EXCHANGE -> (long) I64.getAndSet(segment, address, operand);
            };
        }
        if (widthBytes == 4) {
            int value = (int) operand;
            int old = switch (op) {
                case ADD -> (int) I32.getAndAdd(segment, address, value);
                case SUB -> (int) I32.getAndAdd(segment, address, -value);
                case AND -> (int) I32.getAndBitwiseAnd(segment, address, value);
                case OR -> (int) I32.getAndBitwiseOr(segment, address, value);
                case XOR -> (int) I32.getAndBitwiseXor(segment, address, value);
                case EXCHANGE -> (int) I32.getAndSet(segment, address, value);
            };
            return Integer.toUnsignedLong(old);
        }
        return narrowRmw(segment, op, widthBytes, address, operand);
    }

    /** {@return the old value, zero-extended; replaced only if it equalled {@code expected}'s low bytes} */
    static long compareExchange(MemorySegment segment, int widthBytes, long address, long expected,
            long replacement) {
        switch (widthBytes) {
            case 8 -> {
                return (long) I64.compareAndExchange(segment, address, expected, replacement);
            }
            case 4 -> {
                return Integer.toUnsignedLong((int) I32.compareAndExchange(segment, address, (int) expected,
                        (int) replacement));
            }
            default -> {
                long mask = mask(widthBytes);
                long word = wordOf(address);
                int shift = shift(address);
                while (true) {
                    int old = (int) I32.getVolatile(segment, word);
                    long field = (old >>> shift) & mask;
                    if (field != (expected & mask)) {
                        return field;
                    }
                    if (I32.compareAndSet(segment, word, old, replace(old, shift, mask, replacement))) {
                        return field;
                    }
                }
            }
        }
    }

    private static long narrowRmw(MemorySegment segment, AtomicOp op, int widthBytes, long address, long operand) {
        long mask = mask(widthBytes);
        long word = wordOf(address);
        int shift = shift(address);
        while (true) {
            int old = (int) I32.getVolatile(segment, word);
            long field = (old >>> shift) & mask;
            int updated = replace(old, shift, mask, op.apply(field, operand));
            if (I32.compareAndSet(segment, word, old, updated)) {
                return field;
            }
        }
    }

    private static int replace(int word, int shift, long mask, long field) {
        int fieldMask = (int) (mask << shift);
        return (word & ~fieldMask) | ((int) ((field & mask) << shift));
    }

    private static long wordOf(long address) {
        return address & ~(long) (Integer.BYTES - 1);
    }

    /** Little-endian: byte {@code k} of a word holds bits {@code 8k..8k+7}. */
    private static int shift(long address) {
        return (int) (address & (Integer.BYTES - 1)) * 8;
    }

    // Serial forms: the caller holds the memory's one atomic lock, so plain volatile accesses of the
    // exact width are atomic against every other atomic access of that memory.

    static long serialLoad(MemorySegment segment, int widthBytes, long address) {
        return switch (widthBytes) {
            case 1 -> Byte.toUnsignedLong((byte) I8.getVolatile(segment, address));
            case 2 -> Short.toUnsignedLong((short) I16.getVolatile(segment, address));
            default -> load(segment, widthBytes, address);
        };
    }

    static void serialStore(MemorySegment segment, int widthBytes, long address, long value) {
        switch (widthBytes) {
            case 1 -> I8.setVolatile(segment, address, (byte) value);
            case 2 -> I16.setVolatile(segment, address, (short) value);
            default -> store(segment, widthBytes, address, value);
        }
    }

    static long serialRmw(MemorySegment segment, AtomicOp op, int widthBytes, long address, long operand) {
        long old = serialLoad(segment, widthBytes, address);
        serialStore(segment, widthBytes, address, op.apply(old, operand));
        return old;
    }

    static long serialCompareExchange(MemorySegment segment, int widthBytes, long address, long expected,
            long replacement) {
        long old = serialLoad(segment, widthBytes, address);
        if (old == (expected & mask(widthBytes))) {
            serialStore(segment, widthBytes, address, replacement);
        }
        return old;
    }
}
