package dev.pagealloc.linux;

import dev.pagealloc.testkit.FailureInjector;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.OptionalInt;

/**
 * A {@link LinuxKernel} that passes every call to a real one unless the test's
 * {@link FailureInjector} fails it by its C name ({@code mprotect}, {@code mmap}, ...). A failed
 * call does nothing and returns -1 ({@code MAP_FAILED} for {@code mmap}); {@link LinuxKernel#errno()}
 * then reports the injected error on that thread until the next call that proceeds, as a C errno
 * is only meaningful right after the failing call (errno(3)).
 */
final class InjectedLinuxKernel implements InvocationHandler {
    private final LinuxKernel real;
    private final FailureInjector failures;
    private final ThreadLocal<Integer> injectedErrno = new ThreadLocal<>();

    private InjectedLinuxKernel(LinuxKernel real, FailureInjector failures) {
        this.real = real;
        this.failures = failures;
    }

    /**
     * {@return a kernel over {@code real} that fails the calls {@code failures} says}
     *
     * @param real the kernel the calls that proceed go to
     * @param failures the rules, keyed by the C names of {@link LinuxKernel}'s methods
     */
    static LinuxKernel over(LinuxKernel real, FailureInjector failures) {
        return (LinuxKernel) Proxy.newProxyInstance(LinuxKernel.class.getClassLoader(),
                new Class<?>[] {LinuxKernel.class}, new InjectedLinuxKernel(real, failures));
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] arguments) throws Throwable {
        String name = method.getName();
        if (method.getDeclaringClass() == Object.class) {
            return method.invoke(this, arguments);
        }
        if (name.equals("errno")) {
            Integer injected = injectedErrno.get();
            return injected != null ? injected : real.errno();
        }
        if (!name.equals("strerror")) {
            OptionalInt error = failures.check(name, arguments == null ? new Object[0] : arguments);
            if (error.isPresent()) {
                injectedErrno.set(error.getAsInt());
                return method.getReturnType() == long.class ? (Object) LinuxAbi.MAP_FAILED : (Object) (-1);
            }
            injectedErrno.remove();
        }
        try {
            return method.invoke(real, arguments);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
