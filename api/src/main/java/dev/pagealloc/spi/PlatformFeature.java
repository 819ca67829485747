package dev.pagealloc.spi;

import java.util.List;

/**
 * An optional platform primitive that {@link VirtualMemory} has no place for: the layers above
 * pagealloc (JIT code buffers, WebAssembly memories with copy-on-write images, a GC heap, memory
 * tagging) reach them through {@link VirtualMemory#feature(Class)}, which answers in-band, with a
 * reason, when a platform has none (after wasmtime's {@code MemoryImageSource::from_data},
 * {@code crates/wasmtime/src/runtime/vm/sys/unix/vm.rs}, which answers "not here" with {@code Ok(None)}
 * on platforms without {@code memfd} rather than with an error).
 *
 * <p>Like {@link VirtualMemory}, every feature acts on raw addresses: only pagealloc's shared layer
 * and callers with native access (through the restricted
 * {@link dev.pagealloc.api.PageAllocator#platformFeature(Class)}) reach one.
 *
 * @implSpec Implementations are thread-safe.
 */
public sealed interface PlatformFeature
        permits ExecutableMemory, MemoryImages, PageAdvice, PurgeableMemory, HardwareMemoryTagging {

    /** Every feature type, in the order {@link dev.pagealloc.api.PageAllocator#features()} lists them. */
    List<Class<? extends PlatformFeature>> TYPES = List.of(ExecutableMemory.class,
            MemoryImages.class, PageAdvice.class, PurgeableMemory.class, HardwareMemoryTagging.class);

    /** {@return what backs this feature, in words: the calls it makes, e.g. {@code memfd_create + two mmap}} */
    String describe();
}
