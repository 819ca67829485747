package dev.pagealloc.jit;

import dev.pagealloc.spi.PlatformProvider;
import dev.pagealloc.testkit.sim.SimulatedMach;
import dev.pagealloc.testkit.sim.SimulatedWin32;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The macOS and Windows backends over testkit's simulated kernels, for the JIT layer's tests, built as
 * those modules' own tests build them. Their kernel bindings ({@code MachKernel}, {@code Win32Kernel})
 * and the providers' constructors that take one are package-private there, so this reaches them
 * reflectively (the tests run on the class path) and forwards each kernel call to the simulation's
 * method of the same name and C signature: on {@link SimulatedMach} or its {@code bsd()} half, on
 * {@link SimulatedWin32} or its {@code system()} half. A call neither simulates fails the test.
 */
final class SimulatedPlatforms {
    private SimulatedPlatforms() {}

    static PlatformProvider mac(SimulatedMach sim) {
        return provider("dev.pagealloc.macos.MachKernel", "dev.pagealloc.macos.MacPlatformProvider", "Mac OS X",
                sim, sim.bsd());
    }

    static PlatformProvider windows(SimulatedWin32 sim) {
        return provider("dev.pagealloc.windows.Win32Kernel", "dev.pagealloc.windows.WindowsPlatformProvider",
                "Windows 11", sim, sim.system());
    }

    private static PlatformProvider provider(String kernelName, String providerName, String osName, Object first,
            Object second) {
        try {
            Class<?> kernelType = Class.forName(kernelName);
            Object kernel = Proxy.newProxyInstance(kernelType.getClassLoader(), new Class<?>[] {kernelType},
                    (proxy, method, args) -> forward(first, second, method, args));
            Constructor<?> constructor = Class.forName(providerName)
                    .getDeclaredConstructor(kernelType, Supplier.class, String.class);
            constructor.setAccessible(true);
            Supplier<Optional<?>> noHost = Optional::empty;
            return (PlatformProvider) constructor.newInstance(kernel, noHost, osName);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("a backend's test seam moved: " + e, e);
        }
    }

    private static Object forward(Object first, Object second, Method method, Object[] args) throws Throwable {
        if (method.getDeclaringClass() == Object.class) {
            return method.invoke(first, args);
        }
        Object target = first;
        Method forwarded;
        try {
            forwarded = first.getClass().getMethod(method.getName(), method.getParameterTypes());
        } catch (NoSuchMethodException e) {
            target = second;
            forwarded = second.getClass().getMethod(method.getName(), method.getParameterTypes());
        }
        try {
            return forwarded.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
