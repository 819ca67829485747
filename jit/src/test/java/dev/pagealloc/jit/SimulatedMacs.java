package dev.pagealloc.jit;

import dev.pagealloc.spi.PlatformProvider;
import dev.pagealloc.testkit.sim.SimulatedMach;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The macOS backend over a {@link SimulatedMach}, for the JIT layer's tests, built as
 * {@code platform-macos}'s own tests build it. Its kernel binding ({@code MachKernel}) and the provider's
 * constructor that takes one are package-private there, so this reaches them reflectively (the tests run
 * on the class path) and forwards each {@code MachKernel} call to the simulation's method of the same
 * name and C signature: the Mach half on {@link SimulatedMach}, the BSD half on its {@code bsd()}.
 */
final class SimulatedMacs {
    private SimulatedMacs() {}

    static PlatformProvider provider(SimulatedMach sim) {
        try {
            Class<?> kernelType = Class.forName("dev.pagealloc.macos.MachKernel");
            Object kernel = Proxy.newProxyInstance(kernelType.getClassLoader(), new Class<?>[] {kernelType},
                    (proxy, method, args) -> forward(sim, method, args));
            Class<?> providerType = Class.forName("dev.pagealloc.macos.MacPlatformProvider");
            Constructor<?> constructor = providerType.getDeclaredConstructor(kernelType, Supplier.class, String.class);
            constructor.setAccessible(true);
            Supplier<Optional<?>> noHost = Optional::empty;
            return (PlatformProvider) constructor.newInstance(kernel, noHost, "Mac OS X");
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("the macOS backend's test seam moved: " + e, e);
        }
    }

    private static Object forward(SimulatedMach sim, Method method, Object[] args) throws Throwable {
        if (method.getDeclaringClass() == Object.class) {
            return method.invoke(sim, args);
        }
        Object target = sim;
        Method forwarded;
        try {
            forwarded = SimulatedMach.class.getMethod(method.getName(), method.getParameterTypes());
        } catch (NoSuchMethodException e) {
            target = sim.bsd();
            forwarded = target.getClass().getMethod(method.getName(), method.getParameterTypes());
        }
        try {
            return forwarded.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
