package dev.pagealloc.chicory;

import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ActiveDataSegment;
import com.dylibso.chicory.wasm.types.DataSegment;
import com.dylibso.chicory.wasm.types.Instruction;
import com.dylibso.chicory.wasm.types.OpCode;
import dev.pagealloc.wasm.MemoryImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * An active data segment of a module's memory 0 whose offset is a constant: the input of a copy-on-write
 * memory image, prepared once and mapped into each new memory (then
 * {@link PageallocMemoryFactory#preloaded} skips the copy at instantiation).
 *
 * @param byteOffset where the bytes go in the memory, in bytes, {@code >= 0}
 * @param bytes the bytes; not copied
 */
public record ActiveData(long byteOffset, byte[] bytes) {

    /**
     * Checks the segment.
     *
     * @throws NullPointerException if {@code bytes} is null
     * @throws IllegalArgumentException if {@code byteOffset} is negative
     */
    public ActiveData {
        Objects.requireNonNull(bytes, "bytes");
        if (byteOffset < 0) {
            throw new IllegalArgumentException("byteOffset=" + byteOffset + ": must be >= 0");
        }
    }

    /**
     * {@return the active data segments of {@code module}'s memory 0, in the module's order}
     *
     * @param module the parsed module
     * @throws NullPointerException if {@code module} is null
     * @throws IllegalArgumentException if a segment's offset is not one {@code i32.const} (e.g. a
     *     {@code global.get} of an import, known only at instantiation), naming the segment
     */
    public static List<ActiveData> of(WasmModule module) {
        Objects.requireNonNull(module, "module");
        DataSegment[] segments = module.dataSection().dataSegments();
        List<ActiveData> result = new ArrayList<>();
        for (int i = 0; i < segments.length; i++) {
            if (segments[i] instanceof ActiveDataSegment active && active.index() == 0) {
                List<Instruction> expr = active.offsetInstructions();
                Instruction first = expr.isEmpty() ? null : expr.getFirst();
                boolean constant = first != null && first.opcode() == OpCode.I32_CONST
                        && (expr.size() == 1 || (expr.size() == 2 && expr.get(1).opcode() == OpCode.END));
                if (!constant) {
                    throw new IllegalArgumentException("data segment " + i + ": its offset " + expr
                            + " is not one i32.const, so it is known only at instantiation: no image of it");
                }
                result.add(new ActiveData(Integer.toUnsignedLong((int) first.operand(0)), active.data()));
            }
        }
        return result;
    }

    /**
     * {@return a memory image of {@code module}'s active data for memory 0 ({@link #of}), or empty if it has
     * none}: prepared once (the bytes are copied into it), then mapped into each memory that
     * {@link PageallocMemoryFactory#preloaded} makes, e.g.
     * {@code PageallocMemoryFactory.preloaded(type -> pool.acquire(type, image))}; close it when no more
     * memories will be made from it
     *
     * @param module the parsed module
     * @throws NullPointerException if {@code module} is null
     * @throws IllegalArgumentException as {@link #of}: a segment's offset is not a constant
     * @throws dev.pagealloc.api.KernelException if the platform refuses to prepare the image (see
     *     {@link MemoryImage#of(List)}); nothing is left allocated
     * @throws IllegalCallerException if module {@code dev.pagealloc.wasm} has no native access
     */
    public static Optional<MemoryImage> imageOf(WasmModule module) {
        List<ActiveData> data = of(module);
        List<MemoryImage.Segment> segments = new ArrayList<>(data.size());
        for (ActiveData d : data) {
            if (d.bytes().length > 0) {
                segments.add(new MemoryImage.Segment(d.byteOffset(), d.bytes()));
            }
        }
        return segments.isEmpty() ? Optional.empty() : Optional.of(MemoryImage.of(segments));
    }
}
