package dev.pagealloc.spi;

import java.lang.StackWalker.Option;
import java.lang.StackWalker.StackFrame;
import java.lang.module.Configuration;
import java.lang.module.ResolvedModule;
import java.net.URI;
import java.util.Iterator;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * The JDK's rule for restricted methods (such as {@link java.lang.foreign.MemorySegment#reinterpret(long)},
 * allowed only to a module that {@linkplain Module#isNativeAccessEnabled() has native access}), applied to
 * pagealloc's own: a method that trusts a caller-supplied address, buffer or provider, or hands out raw
 * system calls, runs only for a caller whose module has native access. pagealloc's modules hold native
 * access, so without this check they would be a confused deputy: code that the application did not grant
 * native access could obtain, through them, a segment over any address.
 *
 * <h2>Who the caller is</h2>
 * The caller is the first frame below the restricted method that is not the JDK's own, with a method
 * reference attributed to the class that created it:
 * <ul>
 * <li>reflection ({@link java.lang.reflect.Method#invoke}) and method handle frames are the JDK's, so the
 *     caller is the class that invoked the method reflectively, as for the JDK's caller-sensitive methods;
 * <li>a method reference such as {@code provider::open} runs in a hidden class; its
 *     {@linkplain Class#getNestHost() nest host} is the class that wrote the reference, and that is the
 *     caller, wherever the reference is invoked from. This is the binding the JDK gives its own
 *     caller-sensitive methods, and it matters: {@code Optional.of(request).map(provider::open)} would
 *     otherwise be called by {@code java.util.Optional}, in {@code java.base}, which has native access;
 * <li>when no frame qualifies, the caller is taken to be the system class loader's unnamed module, as the
 *     JDK does ({@code jdk.internal.reflect.Reflection.ensureNativeAccess}).
 * </ul>
 *
 * <h2>The rule, beside the JDK's</h2>
 * The call is allowed when the caller's module {@linkplain Module#isNativeAccessEnabled() has native
 * access}, when it is the module that declares the restricted method (on the class path pagealloc and its
 * caller share the unnamed module; the restricted operations pagealloc then performs are the JDK's own,
 * checked by the JDK against that same module, so the JDK decides: it warns or throws exactly as it would
 * for the caller), or when it is pagealloc's API module itself (its shared layer opens providers only for
 * a configuration whose provider and buffer passed this check; the JDK checks its own restricted calls).
 * Otherwise {@link IllegalCallerException} names the method, the caller, its module and the
 * {@code --enable-native-access} value that grants it.
 *
 * <p>The JDK's own check ({@code java.lang.Module.ensureNativeAccess}, {@code Module.java} lines 289-331 in
 * JDK 25) depends on {@code --illegal-native-access}: {@code deny} throws {@code IllegalCallerException(
 * "Illegal native access from ...")}; {@code warn}, the default, prints one warning per module and then sets
 * that module's native-access flag ({@code EnableNativeAccess.trySetEnableNativeAccess}), so later calls
 * pass silently; {@code allow} lets every call through. That mode is not observable from Java: the
 * launcher's {@code jdk.module.illegal.native.access} property is read and removed at start-up
 * ({@code jdk.internal.module.ModuleBootstrap.addIllegalNativeAccess}, lines 884-896), so pagealloc behaves
 * as under {@code deny} for
 * every module other than the one performing the operation, in all three modes: <b>it throws where the JDK
 * would only warn</b>. A module that the JDK has already warned about has its flag set and passes.
 *
 * <p>Thread-safe and stateless.
 */
public final class NativeAccess {
    private static final StackWalker WALKER = StackWalker.getInstance(
            Set.of(Option.RETAIN_CLASS_REFERENCE, Option.SHOW_HIDDEN_FRAMES, Option.SHOW_REFLECT_FRAMES));

    private NativeAccess() {}

    /**
     * Throws unless the caller of the restricted method that calls this has native access, by the rule
     * in the class comment. A restricted method calls it first, before looking at its arguments.
     *
     * {@snippet :
     * public VirtualMemory open(PlatformRequest request) {
     *     NativeAccess.ensureCallerHasNativeAccess("PlatformProvider.open");
     *     // ...
     * }
     * }
     *
     * @param method the restricted method as users know it, e.g. {@code PlatformProvider.open}; only
     *     used in the message
     * @throws IllegalCallerException if the caller's module has no native access and is neither the module
     *     declaring the restricted method nor pagealloc's API module
     * @throws IllegalStateException if called other than from a method (never from Java code)
     * @throws NullPointerException if {@code method} is null
     */
    public static void ensureCallerHasNativeAccess(String method) {
        Objects.requireNonNull(method, "method");
        Call call = WALKER.walk(CallFinder.INSTANCE);
        check(call.caller(), call.owner(), method);
    }

    /**
     * The walk, as a named class rather than a lambda: it runs in every JVM's first {@code build()}
     * (through {@code PlatformProvider.open}), where each first lambda costs a spun class.
     */
    private static final class CallFinder implements Function<Stream<StackFrame>, Call> {
        static final CallFinder INSTANCE = new CallFinder();

        @Override
        public Call apply(Stream<StackFrame> frames) {
            return findCall(frames.iterator());
        }
    }

    /** Frames, top first: this class, then the restricted method's class (maybe several frames), then callers. */
    private static Call findCall(Iterator<StackFrame> frames) {
        Class<?> owner = null;
        while (frames.hasNext()) {
            Class<?> c = frames.next().getDeclaringClass();
            if (owner == null) {
                owner = c == NativeAccess.class ? null : c;
                continue;
            }
            if (c == owner) {
                continue;
            }
            // A method reference's hidden class belongs to the class that wrote the reference.
            Class<?> bound = c.isHidden() ? c.getNestHost() : c;
            if (!isSystem(bound.getModule())) {
                return new Call(owner, bound);
            }
        }
        if (owner == null) {
            throw new IllegalStateException("ensureCallerHasNativeAccess(): not called by a restricted method");
        }
        return new Call(owner, null);
    }

    private record Call(Class<?> owner, Class<?> caller) {}

    /**
     * Throws unless {@code caller} may call the restricted method {@code method} declared in {@code owner},
     * by the rule in the class comment; for restricted methods that find their caller themselves.
     *
     * @param caller the calling class, or {@code null} if there is none (then the system class loader's
     *     unnamed module is the caller, as in the JDK)
     * @param owner the class declaring (or implementing) the restricted method
     * @param method the restricted method as users know it; only used in the message
     * @throws IllegalCallerException if {@code caller}'s module has no native access and is neither
     *     {@code owner}'s module nor pagealloc's API module
     * @throws NullPointerException if {@code owner} or {@code method} is null
     */
    public static void check(Class<?> caller, Class<?> owner, String method) {
        Objects.requireNonNull(owner, "owner");
        Objects.requireNonNull(method, "method");
        Module module = caller == null ? ClassLoader.getSystemClassLoader().getUnnamedModule() : caller.getModule();
        if (isTrusted(module, owner.getModule())) {
            return;
        }
        throw new IllegalCallerException(method + "(caller=" + (caller == null ? "none" : caller.getName())
                + "): illegal native access from " + describe(module) + ": this restricted method trusts its caller"
                + " with raw memory, so the caller's module needs native access; run with "
                + enableFlag(module));
    }

    /**
     * {@return why {@code module} may not use memory primitives it implements, or empty if it may}: the
     * rule of {@link #check} for code in {@code module} acting on pagealloc's behalf (a provider found by
     * {@link java.util.ServiceLoader}, an implementation of {@link VirtualMemory#view}).
     *
     * @param module the module of the implementing class
     */
    public static Optional<String> missingNativeAccess(Module module) {
        Objects.requireNonNull(module, "module");
        if (isTrusted(module, NativeAccess.class.getModule())) {
            return Optional.empty();
        }
        return Optional.of(describe(module) + " has no native access; run with " + enableFlag(module));
    }

    /**
     * {@return the launcher option that grants {@code module} native access}, e.g.
     * {@code --enable-native-access=com.example.app} or {@code --enable-native-access=ALL-UNNAMED}
     *
     * @param module a module
     */
    public static String enableFlag(Module module) {
        return "--enable-native-access=" + (module.isNamed() ? module.getName() : "ALL-UNNAMED");
    }

    private static boolean isTrusted(Module module, Module owner) {
        return module.isNativeAccessEnabled() || module == owner || module == NativeAccess.class.getModule();
    }

    private static String describe(Module module) {
        return module.isNamed() ? "module " + module.getName() : "an unnamed module";
    }

    /**
     * Whether code in {@code module} is the JDK's own: reflection, method handles, streams, executors. That
     * is, a boot-layer module found in the run-time image, whose location is a {@code jrt:/} URI (JEP 220:
     * "the jrt URL scheme ... names the modules ... stored in a run-time image"): the modules that
     * {@code ModuleFinder.ofSystem()} finds, asked of the boot layer's configuration, which already holds
     * them, instead of scanning the image again. Modules of the boot and platform class loaders are all
     * the image's (only the application loader also defines modules of the module path).
     */
    private static boolean isSystem(Module module) {
        if (!module.isNamed() || module.getLayer() != ModuleLayer.boot()) {
            return false;
        }
        ClassLoader loader = module.getClassLoader();
        if (loader == null || loader == ClassLoader.getPlatformClassLoader()) {
            return true;
        }
        Configuration boot = ModuleLayer.boot().configuration();
        Optional<ResolvedModule> resolved = boot.findModule(module.getName());
        if (resolved.isEmpty()) {
            return false;
        }
        Optional<URI> location = resolved.get().reference().location();
        return location.isPresent() && "jrt".equals(location.get().getScheme());
    }
}
