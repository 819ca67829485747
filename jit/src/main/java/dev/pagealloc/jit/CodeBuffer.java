package dev.pagealloc.jit;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import dev.pagealloc.api.KernelException;
import dev.pagealloc.api.Units;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Objects;

/**
 * Machine code in executable memory, with the W^X state machine of Aria's WildX allocator
 * ({@link CodeState}): written while {@link CodeState#WRITABLE}, run once {@link #seal() sealed}
 * ({@link CodeState#EXECUTABLE}), {@link #free() freed} at the end ({@link CodeState#FREED}). No page
 * is ever writable and executable at once, and Java reaches the code only while it is writable.
 *
 * {@snippet :
 * try (CodeBuffer code = jit.allocate(4096)) {
 *     code.write(0, new byte[] {(byte) 0xB8, 42, 0, 0, 0, (byte) 0xC3}); // mov eax, 42; ret
 *     code.seal();
 *     int answer = (int) code.handle(FunctionDescriptor.of(JAVA_INT)).invokeExact(); // 42
 * }
 * }
 *
 * <h2>Writing</h2>
 * {@link #write(long, byte[])} copies bytes in from any thread. {@link #segment()} is a view of the
 * writable bytes for code generators that write in place: bounded to this buffer, confined to the
 * thread that asked for it, and closed by {@link #seal()}, {@link #free()} and a failed seal, so a
 * stale view throws {@link IllegalStateException} and never writes code that may run. With dual
 * mapping the writable pages stay mapped read-write for the heap's use, but no Java-reachable view
 * of them outlives the {@link CodeState#WRITABLE} state.
 *
 * <h2>Calling</h2>
 * {@link #handle(FunctionDescriptor)} gives a {@link MethodHandle} that calls the sealed code with the C
 * calling convention of the platform, as {@link java.lang.foreign.Linker} describes; the linker's stub
 * is made once per descriptor and shared by every buffer. A handle kept after {@link #free()} or
 * {@link #makeWritable()} calls memory that no longer holds this code: freed code was unmapped or
 * overwritten with trap instructions, so the call ends in SIGSEGV or SIGTRAP and the JVM dies. Do not
 * keep handles longer than the code.
 *
 * <h2>Thread safety</h2>
 * Thread-safe: state changes are serialized on the buffer, and a sealed buffer's handles may be
 * invoked from any number of threads at once.
 *
 * <h2>Failure</h2>
 * An illegal transition throws {@link IllegalStateException} naming the state, and changes nothing.
 * A kernel refusal ({@link KernelException}) leaves the state and the pages as they were, except that
 * the writable view has been closed (ask for a new one).
 */
public final class CodeBuffer implements AutoCloseable {
    private final JitMemory memory;
    private final CodePages pages;
    private final long byteOffset;
    private final long byteSize;
    private final CodeHeap heap;

    private volatile CodeState state = CodeState.WRITABLE;
    private Arena viewArena;
    private Thread viewOwner;
    private MemorySegment view;

    /**
     * A buffer over {@code [byteOffset, +byteSize)} of {@code pages}, writable.
     *
     * @param memory its memory, for counters, the policy and the trap pattern
     * @param pages the pages it lives in
     * @param byteOffset its first byte in the pages
     * @param byteSize its length, in bytes
     * @param heap the heap it was taken from, or null if it owns its pages
     */
    CodeBuffer(JitMemory memory, CodePages pages, long byteOffset, long byteSize, CodeHeap heap) {
        this.memory = memory;
        this.pages = pages;
        this.byteOffset = byteOffset;
        this.byteSize = byteSize;
        this.heap = heap;
    }

    /** {@return the current state}; a snapshot, which another thread may change next */
    public CodeState state() {
        return state;
    }

    /**
     * {@return the address the code runs at}: the first byte of the executable view, to pass to native
     * code or to patch a call with. With dual mapping it differs from where Java writes. It stays the
     * same for the buffer's life; after {@link #free()} it names memory this buffer no longer owns.
     */
    public long address() {
        return pages.executableAddress() + byteOffset;
    }

    /**
     * {@return the size, in bytes}: page-rounded for a buffer of its own, rounded to the heap's
     * alignment for a heap function
     */
    public long byteSize() {
        return byteSize;
    }

    /**
     * {@return a view of the code bytes to write through}, {@code byteSize()} bytes, confined to the
     * calling thread; the same view again on later calls from that thread, until {@link #seal()} or
     * {@link #free()} closes it
     *
     * @throws IllegalStateException if the buffer is not {@link CodeState#WRITABLE}
     * @throws WrongThreadException if another thread that is alive holds the view; let it seal or free
     */
    @SuppressWarnings("restricted") // see the SAFETY line
    public synchronized MemorySegment segment() {
        requireState("segment()", CodeState.WRITABLE, "only a WRITABLE buffer has a writable view");
        Thread current = Thread.currentThread();
        if (view != null) {
            if (viewOwner == current) {
                return view;
            }
            if (viewOwner.isAlive()) {
                throw new WrongThreadException(describe("segment()") + ": the writable view is confined to thread "
                        + viewOwner.getName() + ", which is alive; write with write(byteOffset, bytes) instead");
            }
        }
        Arena arena = Arena.ofConfined();
        // SAFETY: [writableAddress + byteOffset, +byteSize) is this buffer's part of pages that stay mapped
        // read-write until seal, free or a failed seal, each of which closes this arena first.
        view = MemorySegment.ofAddress(pages.writableAddress() + byteOffset).reinterpret(byteSize, arena, null);
        viewArena = arena;
        viewOwner = current;
        return view;
    }

    /**
     * Copies {@code code} into the buffer at {@code byteOffset}. Any thread may call it.
     *
     * @param byteOffset where the first byte goes, from the buffer's start; {@code >= 0}
     * @param code the bytes
     * @return this buffer
     * @throws IndexOutOfBoundsException if {@code byteOffset < 0} or
     *     {@code byteOffset + code.length > byteSize()}; nothing is written
     * @throws IllegalStateException if the buffer is not {@link CodeState#WRITABLE}
     * @throws NullPointerException if {@code code} is null
     */
    public synchronized CodeBuffer write(long byteOffset, byte[] code) {
        Objects.requireNonNull(code, "code");
        requireWritableForWrite(byteOffset);
        Objects.checkFromIndexSize(byteOffset, code.length, byteSize);
        MemorySegment.copy(code, 0, writableBytes(), JAVA_BYTE, byteOffset, code.length);
        return this;
    }

    /**
     * Copies the bytes of {@code code} into the buffer at {@code byteOffset}. Any thread may call it.
     *
     * @param byteOffset where the first byte goes, from the buffer's start; {@code >= 0}
     * @param code the bytes, {@code code.byteSize()} of them
     * @return this buffer
     * @throws IndexOutOfBoundsException if {@code byteOffset < 0} or
     *     {@code byteOffset + code.byteSize() > byteSize()}; nothing is written
     * @throws IllegalStateException if the buffer is not {@link CodeState#WRITABLE}, or {@code code}'s scope
     *     is closed
     * @throws WrongThreadException if {@code code} is confined to another thread
     * @throws NullPointerException if {@code code} is null
     */
    public synchronized CodeBuffer write(long byteOffset, MemorySegment code) {
        Objects.requireNonNull(code, "code");
        requireWritableForWrite(byteOffset);
        Objects.checkFromIndexSize(byteOffset, code.byteSize(), byteSize);
        MemorySegment.copy(code, 0, writableBytes(), byteOffset, code.byteSize());
        return this;
    }

    /** Called only while WRITABLE under the lock, which seal and free take too. */
    @SuppressWarnings("restricted") // see the SAFETY line
    private MemorySegment writableBytes() {
        // SAFETY: the buffer is WRITABLE and this thread holds its lock, so the bytes stay mapped read-write
        // until the copy that follows returns; the segment is never stored.
        return MemorySegment.ofAddress(pages.writableAddress() + byteOffset).reinterpret(byteSize);
    }

    /**
     * Makes the code executable: closes the writable view, makes the pages read-execute (a protection
     * flip) or leaves them (dual mapping: the executable view always was), and maintains the instruction
     * cache (see {@link JitMemory}). Heap functions under a protection flip own their pages, so sealing
     * one never changes another.
     *
     * @return this buffer, {@link CodeState#EXECUTABLE}
     * @throws IllegalStateException if the buffer is not {@link CodeState#WRITABLE}
     * @throws WrongThreadException if another thread that is alive holds the writable view; nothing changes
     * @throws KernelException if the kernel refuses the protection change; the buffer stays
     *     {@link CodeState#WRITABLE} with its pages read-write, its view closed
     */
    public CodeBuffer seal() {
        long started = CodeEvents.start();
        synchronized (this) {
            requireState("seal()", CodeState.WRITABLE, "only a WRITABLE buffer can be sealed");
            closeView("seal()");
            pages.makeExecutable(byteOffset, byteSize);
            state = CodeState.EXECUTABLE;
        }
        memory.counters().sealed(byteSize);
        CodeEvents.sealed(started, this, memory);
        return this;
    }

    /**
     * Makes sealed code writable again for patching (BCPL's {@code makeWritable}); {@link #seal()} it
     * again before it runs. With a protection flip the code cannot run meanwhile: a thread calling it
     * dies with SIGSEGV, so make sure none does. With dual mapping it stays executable, and a thread
     * may run it while it is patched: the patcher must make each change atomic (an aligned 8-byte store of
     * a jump, say) and, on arm64, have running threads pass an {@code isb} before they rely on it.
     *
     * @return this buffer, {@link CodeState#WRITABLE}
     * @throws UnsupportedOperationException if the memory's policy forbids patching
     *     ({@link JitMemory.Builder#withPatching(boolean)}); nothing changes
     * @throws IllegalStateException if the buffer is not {@link CodeState#EXECUTABLE}
     * @throws KernelException if the kernel refuses the protection change; the buffer stays
     *     {@link CodeState#EXECUTABLE}
     */
    public CodeBuffer makeWritable() {
        if (!memory.patchingAllowed()) {
            throw new UnsupportedOperationException(describe("makeWritable()") + ": forbidden by this JitMemory's"
                    + " policy (JitMemory.Builder.withPatching(false)); allocate new code instead");
        }
        synchronized (this) {
            requireState("makeWritable()", CodeState.EXECUTABLE, "only an EXECUTABLE buffer can be made writable");
            pages.makeWritable(byteOffset, byteSize);
            state = CodeState.WRITABLE;
        }
        memory.counters().unsealed(byteSize);
        return this;
    }

    /**
     * Releases the code: a buffer of its own is unmapped; a heap function is overwritten with trap
     * instructions ({@code int3} on x86-64, {@code brk #0} on arm64), made inaccessible where it owns
     * its pages (a protection flip), and its bytes go back to the heap's free list.
     *
     * @throws IllegalStateException if the buffer is already {@link CodeState#FREED}
     * @throws WrongThreadException if another thread that is alive holds the writable view; nothing changes
     * @throws KernelException if the kernel refuses to unmap or protect; the buffer keeps its state,
     *     its view closed
     */
    public void free() {
        boolean wasExecutable;
        synchronized (this) {
            requireNotFreed("free()");
            closeView("free()");
            wasExecutable = state == CodeState.EXECUTABLE;
            if (heap == null) {
                pages.release();
                memory.counters().unmapped(pages.byteSize());
            } else {
                heap.release(this);
            }
            state = CodeState.FREED;
        }
        memory.counters().freed(byteSize, wasExecutable);
        CodeEvents.freed(this, memory);
    }

    /**
     * Same as {@link #free()}, but does nothing if the buffer is already freed, so that
     * try-with-resources may follow an explicit {@code free()}.
     */
    @Override
    public synchronized void close() {
        if (state != CodeState.FREED) {
            free();
        }
    }

    /**
     * {@return a handle calling this code with the C signature {@code descriptor}}: its type is
     * {@code descriptor}'s, e.g. {@code (long,long)long} for
     * {@code FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG)}. The code may call back into Java
     * (through an upcall stub) and may block.
     *
     * @param descriptor the function's C signature
     * @throws IllegalStateException if the buffer is not {@link CodeState#EXECUTABLE}
     * @throws IllegalArgumentException if the platform's linker does not support {@code descriptor}
     * @throws NullPointerException if {@code descriptor} is null
     */
    public MethodHandle handle(FunctionDescriptor descriptor) {
        return handle(descriptor, false);
    }

    /**
     * {@return a handle calling this code as {@link #handle(FunctionDescriptor)} does, linked
     * {@linkplain java.lang.foreign.Linker.Option#critical(boolean) critical}}: the call skips the
     * thread-state transition into native code, which makes short calls cheaper. Only for code that
     * does not call back into Java (an upcall from critical code crashes the JVM) and returns quickly
     * (the JVM cannot reach a safepoint meanwhile, so a long call stalls the garbage collector).
     *
     * @param descriptor the function's C signature
     * @throws IllegalStateException if the buffer is not {@link CodeState#EXECUTABLE}
     * @throws IllegalArgumentException if the platform's linker does not support {@code descriptor}
     * @throws NullPointerException if {@code descriptor} is null
     */
    public MethodHandle criticalHandle(FunctionDescriptor descriptor) {
        return handle(descriptor, true);
    }

    private MethodHandle handle(FunctionDescriptor descriptor, boolean critical) {
        Objects.requireNonNull(descriptor, "descriptor");
        requireState(critical ? "criticalHandle()" : "handle()", CodeState.EXECUTABLE,
                "only sealed code can be called; seal() it first");
        return Downcalls.bound(address(), descriptor, critical);
    }

    /**
     * {@return the address Java's writes go to}: with dual mapping the read-write view, at another address
     * than {@link #address()}; with a protection flip the same address. Only a number: Java reaches the
     * bytes through {@link #segment()} and {@link #write(long, byte[])} alone, while the buffer is writable.
     */
    public long writableAddress() {
        return pages.writableAddress() + byteOffset;
    }

    /** {@return the offset in its pages, in bytes} */
    long byteOffset() {
        return byteOffset;
    }

    /** {@return the pages it lives in} */
    CodePages pages() {
        return pages;
    }

    /** {@return the heap it came from, or null} */
    CodeHeap heap() {
        return heap;
    }

    private void closeView(String operation) {
        if (view == null) {
            return;
        }
        if (viewOwner == Thread.currentThread()) {
            viewArena.close();
        } else if (viewOwner.isAlive()) {
            throw new WrongThreadException(describe(operation) + ": the writable view is confined to thread "
                    + viewOwner.getName() + ", which is alive; call " + operation + " from it");
        }
        // A view confined to a thread that ended can never be used again: dropping it is enough.
        view = null;
        viewArena = null;
        viewOwner = null;
    }

    /** The message is built only on failure: writes are on the hot path of code generation. */
    private void requireWritableForWrite(long byteOffset) {
        if (state != CodeState.WRITABLE) {
            requireState("write(byteOffset=" + byteOffset + ")", CodeState.WRITABLE,
                    "only a WRITABLE buffer can be written");
        }
    }

    private void requireState(String operation, CodeState required, String rule) {
        CodeState current = state;
        if (current != required) {
            throw new IllegalStateException(describe(operation) + ": the code buffer is " + current + "; " + rule);
        }
    }

    private void requireNotFreed(String operation) {
        if (state == CodeState.FREED) {
            throw new IllegalStateException(describe(operation) + ": the code buffer is FREED; nothing can be done"
                    + " with freed code");
        }
    }

    private String describe(String operation) {
        int open = operation.indexOf('(');
        String name = operation.substring(0, open);
        String arguments = operation.substring(open + 1, operation.length() - 1);
        return name + "(address=" + Units.hex(address()) + (arguments.isEmpty() ? "" : ", " + arguments) + ")";
    }

    @Override
    public String toString() {
        return "CodeBuffer[address=" + Units.hex(address()) + ", byteSize=" + byteSize + ", state=" + state + "]";
    }
}
