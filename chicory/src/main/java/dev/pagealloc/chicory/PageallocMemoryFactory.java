package dev.pagealloc.chicory;

import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import dev.pagealloc.wasm.LinearMemory;
import dev.pagealloc.wasm.MemoryType;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * A Chicory memory factory that keeps every memory it made, so that one {@link #close()} releases them all:
 * Chicory's {@code Memory} has no {@code close}, and an instance does not release its memories.
 * {@snippet :
 * try (var memories = PageallocMemoryFactory.create()) {
 *     Instance instance = Instance.builder(module).withMemoryFactory(memories).build();
 *     instance.export("run").apply();
 * } // every linear memory the instance made is released here
 * }
 *
 * <p>The linear memories come from a source given at construction: {@link LinearMemory#create} by default,
 * or e.g. a pool's acquire (its release then returns the slot to the pool).
 *
 * <p>Thread-safe: {@link #apply} and {@link #close()} may be called from any thread; a memory made after
 * {@link #close()} is refused with {@link IllegalStateException}, so none escapes the release.
 */
public final class PageallocMemoryFactory implements Function<MemoryLimits, Memory>, AutoCloseable {

    private final Function<? super MemoryType, ? extends LinearMemory> source;
    private final boolean preloaded;
    private final List<PageallocMemory> made = new ArrayList<>();
    private boolean closed;

    private PageallocMemoryFactory(Function<? super MemoryType, ? extends LinearMemory> source, boolean preloaded) {
        this.source = Objects.requireNonNull(source, "source");
        this.preloaded = preloaded;
    }

    /** {@return a factory of memories of their own ({@link LinearMemory#create})} */
    public static PageallocMemoryFactory create() {
        return new PageallocMemoryFactory(LinearMemory::create, false);
    }

    /**
     * {@return a factory whose linear memories come from {@code source} already holding the module's active
     * data}, e.g. {@code type -> pool.acquire(type, image)} with an image of {@link ActiveData#of}: the data is
     * then mapped copy-on-write instead of copied at instantiation ({@link PageallocMemory#preloaded})
     *
     * @param source makes a linear memory of the given type, holding the module's active data segments
     * @throws NullPointerException if {@code source} is null
     */
    public static PageallocMemoryFactory preloaded(Function<? super MemoryType, ? extends LinearMemory> source) {
        return new PageallocMemoryFactory(source, true);
    }

    /**
     * {@return a factory whose linear memories come from {@code source}}, e.g. {@code pool::acquire}; each
     * is released ({@link LinearMemory#close()}) when this factory closes
     *
     * @param source makes a new linear memory of the given type (32-bit, 64 KiB pages), reading zero, as
     *     {@code LinearMemory::create} and a pool's {@code acquire} do (Chicory's zeroing at instantiation is
     *     skipped, see {@link PageallocMemory#zero()}); its exceptions pass through {@link #apply} unchanged
     * @throws NullPointerException if {@code source} is null
     */
    public static PageallocMemoryFactory from(Function<? super MemoryType, ? extends LinearMemory> source) {
        return new PageallocMemoryFactory(source, false);
    }

    /**
     * Makes a memory for Chicory's limits and keeps it for {@link #close()}.
     *
     * @param limits the module's limits, in 64 KiB pages
     * @return the memory
     * @throws IllegalStateException if this factory is closed
     * @throws IllegalArgumentException if the source returns a memory that is not 32-bit with 64 KiB pages
     *     (that memory is released first)
     */
    @Override
    public PageallocMemory apply(MemoryLimits limits) {
        synchronized (made) {
            if (closed) {
                throw new IllegalStateException("PageallocMemoryFactory is closed: no memory for limits " + limits);
            }
        }
        LinearMemory linear = source.apply(PageallocMemory.typeOf(limits));
        PageallocMemory memory;
        try {
            memory = preloaded ? PageallocMemory.preloaded(linear, limits) : PageallocMemory.owningNew(linear, limits);
        } catch (RuntimeException e) {
            linear.close();
            throw e;
        }
        synchronized (made) {
            if (closed) {
                memory.close();
                throw new IllegalStateException("PageallocMemoryFactory is closed: no memory for limits " + limits);
            }
            made.add(memory);
        }
        return memory;
    }

    /** {@return the number of memories made and not yet released by {@link #close()}} */
    public int liveMemories() {
        synchronized (made) {
            return made.size();
        }
    }

    /**
     * Releases every memory this factory made; idempotent. If a release throws, the others are still
     * released and the first exception is rethrown with the rest suppressed.
     */
    @Override
    public void close() {
        List<PageallocMemory> toRelease;
        synchronized (made) {
            closed = true;
            toRelease = new ArrayList<>(made);
            made.clear();
        }
        RuntimeException first = null;
        for (PageallocMemory memory : toRelease) {
            try {
                memory.close();
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
