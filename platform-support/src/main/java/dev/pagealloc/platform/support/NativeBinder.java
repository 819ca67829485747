package dev.pagealloc.platform.support;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The plumbing every {@code Ffm<Os>Kernel} shares: downcall handles bound by C name into a
 * registry that refuses a name declared twice, an optional call-state capture
 * ({@link Linker.Option#captureCallState}, e.g. {@code errno} or {@code GetLastError}) into a
 * per-thread segment, and the read of the captured value. A platform class holds one binder per
 * library and keeps each handle in a {@code static final} field.
 *
 * <p>A symbol the library lacks is handled in one of two ways, chosen by the factory:
 * {@link #requiring} fails the binding with an {@link UnsatisfiedLinkError} (the platform class
 * does not load), {@link #stubbing} returns a handle of the same type that throws
 * {@link UnsupportedOperationException} naming the function on every call (the platform class
 * loads, and its descriptors can be checked, on any OS).
 *
 * <p><b>Restricted</b>: binding calls {@link Linker#downcallHandle}, so this module needs native
 * access; a wrong descriptor can crash the JVM when the handle is invoked. Only pagealloc's
 * platform modules reach this class.
 *
 * <p>Thread safety: binding is meant for the owner's static initializer, which the JVM runs on
 * one thread; after it, a binder is effectively immutable and its handles, {@link #declared()},
 * {@link #callState()} and {@link #captured()} are safe from any thread.
 */
public final class NativeBinder {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CALL_STATE_LAYOUT = Linker.Option.captureStateLayout();
    /**
     * Each thread's capture segment, shared by every binder (a thread is in one downcall at a
     * time), freed with the thread's {@link ThreadLocal} entry.
     */
    private static final ThreadLocal<MemorySegment> CALL_STATE = new CallStates();

    private final String owner;
    private final String libraryName;
    private final SymbolLookup library;
    /** Appended to a stub's message; {@code null} for a binder that requires every symbol. */
    private final String advice;
    private final String stateName;
    private final Linker.Option captureState;
    /** Byte offset of {@code stateName} in the capture segment, or -1 where this platform has none. */
    private final long stateOffset;
    /** Shared with the binders {@link #in} makes, so one owner has one registry. */
    private final Map<String, FunctionDescriptor> declared;

    private NativeBinder(String owner, String libraryName, SymbolLookup library, String advice, String stateName,
            Map<String, FunctionDescriptor> declared) {
        this.owner = owner;
        this.libraryName = libraryName;
        this.library = library;
        this.advice = advice;
        this.stateName = stateName;
        this.declared = declared;
        boolean captured = false;
        for (MemoryLayout member : CALL_STATE_LAYOUT.memberLayouts()) {
            captured |= member instanceof ValueLayout.OfInt && member.name().equals(Optional.of(stateName));
        }
        this.captureState = captured ? Linker.Option.captureCallState(stateName) : null;
        this.stateOffset = captured ? CALL_STATE_LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement(stateName))
                : -1;
    }

    /**
     * Each thread's capture segment, made on the thread's first call. A subclass, not
     * {@code ThreadLocal.withInitial} with a lambda: binding runs on the first system call of a JVM, and
     * each first lambda spins a class.
     */
    private static final class CallStates extends ThreadLocal<MemorySegment> {
        @Override
        protected MemorySegment initialValue() {
            return Arena.ofAuto().allocate(CALL_STATE_LAYOUT);
        }
    }

    /**
     * {@return a binder over {@code library} whose bindings fail when a symbol is absent}
     *
     * @param owner the binding class's simple name, for messages
     * @param libraryName the library's name, for messages ({@code "libc"})
     * @param library where symbols are looked up
     * @param stateName the call state that {@link #bindCapturing} captures ({@code "errno"})
     */
    public static NativeBinder requiring(String owner, String libraryName, SymbolLookup library, String stateName) {
        return new NativeBinder(owner, libraryName, library, null, stateName, new LinkedHashMap<>());
    }

    /**
     * {@return a binder over {@code library} that binds an absent symbol to a stub throwing
     * {@link UnsupportedOperationException}}
     *
     * <p>The stub's message is {@code "<name>: no such function here (os.name=<os.name>); <advice>"}.
     *
     * @param owner the binding class's simple name, for messages
     * @param libraryName the library's name ({@code "kernel32"})
     * @param library where symbols are looked up; an empty lookup off the library's OS
     * @param stateName the call state that {@link #bindCapturing} captures ({@code "GetLastError"})
     * @param advice the end of a stub's message ({@code "the windows provider runs only on Windows"})
     */
    public static NativeBinder stubbing(String owner, String libraryName, SymbolLookup library, String stateName,
            String advice) {
        return new NativeBinder(owner, libraryName, library, advice, stateName, new LinkedHashMap<>());
    }

    /**
     * {@return a binder over another library with this one's owner, missing-symbol behaviour,
     * call state and registry (a name declared through either is declared for both)}
     *
     * @param otherLibraryName the other library's name, for messages
     * @param otherLibrary where the new binder looks symbols up
     */
    public NativeBinder in(String otherLibraryName, SymbolLookup otherLibrary) {
        return new NativeBinder(owner, otherLibraryName, otherLibrary, advice, stateName, declared);
    }

    /**
     * {@return a downcall handle for the function {@code name}, of {@code descriptor}'s type}
     *
     * <p>For functions that report failure in their result, or cannot fail.
     *
     * @param name the C name, also the registry key
     * @param descriptor the C prototype
     * @param options further linker options ({@code firstVariadicArg})
     * @throws IllegalStateException if {@code name} is already declared in this registry
     * @throws UnsatisfiedLinkError if the library lacks {@code name} and this binder is {@link #requiring}
     */
    public MethodHandle bind(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        return link(name, name, descriptor, false, options);
    }

    /**
     * {@return a downcall handle for the function {@code name} that captures the call state
     * right after the call; its first parameter is the {@link #callState()} segment}
     *
     * @param name the C name, also the registry key
     * @param descriptor the C prototype
     * @param options further linker options ({@code firstVariadicArg})
     * @throws IllegalStateException if {@code name} is already declared in this registry
     * @throws UnsatisfiedLinkError if the library lacks {@code name} and this binder is {@link #requiring}
     */
    public MethodHandle bindCapturing(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        return link(name, name, descriptor, true, options);
    }

    /**
     * {@return as {@link #bindCapturing(String, FunctionDescriptor, Linker.Option...)}, for one of
     * several prototypes of a variadic {@code symbol}, declared under its own {@code name}}
     *
     * @param name the registry key ({@code "syscall(SYS_mbind)"})
     * @param symbol the C name ({@code "syscall"})
     * @param descriptor the C prototype of this use
     * @param options further linker options ({@code firstVariadicArg})
     * @throws IllegalStateException if {@code name} is already declared in this registry
     * @throws UnsatisfiedLinkError if the library lacks {@code symbol} and this binder is {@link #requiring}
     */
    public MethodHandle bindCapturing(String name, String symbol, FunctionDescriptor descriptor,
            Linker.Option... options) {
        return link(name, symbol, descriptor, true, options);
    }

    @SuppressWarnings("restricted") // linking the OS's libraries is this class's job; callers give the C prototypes
    private MethodHandle link(String name, String symbol, FunctionDescriptor descriptor, boolean capture,
            Linker.Option... options) {
        if (declared.putIfAbsent(name, descriptor) != null) {
            throw new IllegalStateException(owner + ": " + name + " is declared twice");
        }
        Optional<MemorySegment> address = library.find(symbol);
        if (address.isPresent()) {
            Linker.Option[] all = options;
            if (capture) {
                all = new Linker.Option[options.length + 1];
                // Where the linker lacks the state, captureCallState names it in its exception.
                all[0] = captureState == null ? Linker.Option.captureCallState(stateName) : captureState;
                System.arraycopy(options, 0, all, 1, options.length);
            }
            // SAFETY: the descriptor is the caller's transcription of the C prototype (each platform's
            // tests pin it against its kernel interface); a wrong one crashes the JVM on the first call.
            return LINKER.downcallHandle(address.get(), descriptor, all);
        }
        if (advice == null) {
            throw new UnsatisfiedLinkError(libraryName + " has no function " + symbol);
        }
        MethodType type = descriptor.toMethodType();
        if (capture) {
            type = type.insertParameterTypes(0, MemorySegment.class);
        }
        MethodHandle thrower = MethodHandles.throwException(type.returnType(), UnsupportedOperationException.class)
                .bindTo(missing(symbol));
        return MethodHandles.dropArguments(thrower, 0, type.parameterList());
    }

    private UnsupportedOperationException missing(String name) {
        String where = name + ": no such function here (os.name=" + System.getProperty("os.name") + ")";
        return new UnsupportedOperationException(advice == null ? where : where + "; " + advice);
    }

    /** {@return every function bound through this registry: descriptor by name, in declaration order; unmodifiable} */
    public Map<String, FunctionDescriptor> declared() {
        return Collections.unmodifiableMap(declared);
    }

    /**
     * {@return the calling thread's capture segment, the first argument of every handle from
     * {@code bindCapturing}}
     *
     * <p>One {@link ThreadLocal} read: no allocation after a thread's first call. The segment is
     * confined in use to the calling thread; pass it on and the captured value may be overwritten.
     */
    public static MemorySegment callState() {
        return CALL_STATE.get();
    }

    /**
     * {@return the value of this binder's call state ({@code errno}, {@code GetLastError}) that the
     * calling thread's last capturing downcall saved}
     *
     * @throws UnsupportedOperationException if this platform's linker has no such call state
     */
    public int captured() {
        if (stateOffset < 0) {
            throw missing(stateName);
        }
        return CALL_STATE.get().get(ValueLayout.JAVA_INT, stateOffset);
    }

    /**
     * {@return never; throws {@code t}} For {@code throw rethrow(t)} around {@code invokeExact},
     * which declares {@code Throwable}, though a downcall only throws what the JVM throws (out of
     * memory, stack overflow, a closed arena): those pass on unchanged, never turned into a
     * system call error or swallowed.
     *
     * @param t what {@code invokeExact} threw
     * @throws AssertionError wrapping {@code t} if it is a checked exception, which a downcall never throws
     */
    public static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new AssertionError("a downcall threw a checked exception", t);
    }
}
