package dev.pagealloc.jit.bf;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A program compiled to machine code in executable memory, made by {@link BrainfuckCompiler#compile}.
 *
 * <p>Thread-safe: runs may overlap, each on its own tape; {@link #close()} waits for the runs in progress
 * and unmaps the code, after which {@link #run} throws {@link IllegalStateException}, so no thread ever
 * calls unmapped code.
 */
public final class CompiledBrainfuck implements BrainfuckRunner, AutoCloseable {
    /** The run in progress on this thread, which the upcalls serve. */
    private static final ScopedValue<Io> IO = ScopedValue.newInstance();

    private final BrainfuckProgram program;
    private final BrainfuckInterpreter interpreter;
    private final CodeLoader.LoadedCode code;
    private final String loader;
    private final ReentrantReadWriteLock lifetime = new ReentrantReadWriteLock();
    private boolean closed;

    CompiledBrainfuck(BrainfuckProgram program, CodeLoader.LoadedCode code, String loader) {
        this.program = program;
        this.interpreter = new BrainfuckInterpreter(program);
        this.code = code;
        this.loader = loader;
    }

    /** {@return the address the machine code runs at} */
    public long codeAddress() {
        return code.address();
    }

    /** {@return the size of the machine code, in bytes} */
    public long codeBytes() {
        return code.codeBytes();
    }

    @Override
    public void run(Tape tape, InputStream in, OutputStream out) throws IOException {
        Objects.requireNonNull(tape, "tape");
        Objects.requireNonNull(in, "in");
        Objects.requireNonNull(out, "out");
        MemorySegment cells = tape.segment();
        BufferedOutputStream buffered = new BufferedOutputStream(out, 8192);
        Io io = new Io(in, buffered);
        long result;
        lifetime.readLock().lock();
        try {
            if (closed) {
                throw new IllegalStateException("run(): the compiled program is closed");
            }
            // The upcalls run on this thread, inside this binding: they find this run's streams in it.
            result = ScopedValue.where(IO, io).call(
                    () -> (long) code.handle().invokeExact(cells, tape.cells(), Upcalls.PUT, Upcalls.GET));
        } catch (RuntimeException | Error e) {
            buffered.flush();
            throw e;
        } catch (Throwable e) {
            buffered.flush();
            throw new IllegalStateException("run(): the generated code's handle threw " + e, e);
        } finally {
            lifetime.readLock().unlock();
        }
        try {
            finish(result, tape, cells, in, buffered, io);
        } finally {
            buffered.flush();
        }
    }

    private void finish(long result, Tape tape, MemorySegment cells, InputStream in, OutputStream out, Io io)
            throws IOException {
        int status = (int) result;
        if (status == X86CodeGenerator.RESULT_DONE) {
            return;
        }
        if (status > 0) {
            throw new TapeOutOfRangeException(status - 1, program.position(status - 1), tape.cells());
        }
        if (status == X86CodeGenerator.RESULT_IO_STOPPED) {
            io.rethrow();
        }
        // A straight run would leave the tape: nothing of it ran; the interpreter runs it move by move and
        // stops at the move that leaves, with everything before it done.
        interpreter.execute(cells, tape.cells(), X86CodeGenerator.runStart(status), result >>> 32, in, out);
    }

    @Override
    public String describe() {
        return "x86-64 code, " + code.codeBytes() + " bytes, loaded by " + loader;
    }

    /**
     * Unmaps the code once no run is in progress; idempotent.
     *
     * @throws dev.pagealloc.api.PageAllocatorException if the kernel refuses to unmap it
     */
    @Override
    public void close() {
        lifetime.writeLock().lock();
        try {
            if (!closed) {
                closed = true;
                code.close();
            }
        } finally {
            lifetime.writeLock().unlock();
        }
    }

    /**
     * The two upcall stubs, made once for the JVM's life and shared by every compiled program: the stream of
     * the run in progress comes from {@link #IO}, so no run pays for making stubs.
     */
    private static final class Upcalls {
        static final MemorySegment PUT;
        static final MemorySegment GET;

        static {
            try {
                MethodHandles.Lookup lookup = MethodHandles.lookup();
                Linker linker = Linker.nativeLinker();
                PUT = stub(linker, lookup.findStatic(Upcalls.class, "put", MethodType.methodType(int.class, int.class)),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
                GET = stub(linker, lookup.findStatic(Upcalls.class, "get", MethodType.methodType(int.class)),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT));
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        @SuppressWarnings("restricted")
        private static MemorySegment stub(Linker linker, MethodHandle target, FunctionDescriptor type) {
            // SAFETY: the stubs live as long as the JVM (global arena), so generated code can never call a freed
            // stub; put and get catch every exception, so none unwinds through the generated frame (which
            // would crash the JVM, see Linker.upcallStub).
            return linker.upcallStub(target, type, Arena.global());
        }

        /** {@return 0, or 1 to stop the program} */
        @SuppressWarnings("unused") // called by the upcall stub
        private static int put(int value) {
            return IO.isBound() ? IO.get().put(value) : 1;
        }

        /** {@return the byte read, -1 at the end of input, or -2 to stop the program} */
        @SuppressWarnings("unused") // called by the upcall stub
        private static int get() {
            return IO.isBound() ? IO.get().get() : -2;
        }
    }

    /** The upcalls' side: one byte at a time, failures kept for Java and reported to the code as a code. */
    private static final class Io {
        private final InputStream in;
        private final OutputStream out;
        private Throwable failure;

        Io(InputStream in, OutputStream out) {
            this.in = in;
            this.out = out;
        }

        /** {@return 0, or 1 to stop the program} */
        int put(int value) {
            try {
                out.write(value);
                return 0;
            } catch (Throwable e) { // an exception escaping an upcall kills the JVM (Linker.upcallStub)
                failure = e;
                return 1;
            }
        }

        /** {@return the byte read, -1 at the end of input, or -2 to stop the program} */
        int get() {
            try {
                return in.read();
            } catch (Throwable e) { // an exception escaping an upcall kills the JVM (Linker.upcallStub)
                failure = e;
                return -2;
            }
        }

        void rethrow() throws IOException {
            switch (failure) {
                case IOException e -> throw e;
                case RuntimeException e -> throw e;
                case Error e -> throw e;
                case null -> throw new IllegalStateException("run(): the code stopped, but no upcall failed");
                default -> throw new UncheckedIOException(new IOException(failure));
            }
        }
    }
}
