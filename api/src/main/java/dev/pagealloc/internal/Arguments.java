package dev.pagealloc.internal;

/**
 * Null checks whose message names the operation and the argument, in the library's one-line form:
 * {@code protect(byteOffset=0, byteLength=4096, protection=null): protection must not be null}. The
 * JDK's {@code Objects.requireNonNull(value, "protection")} names only the argument, which does not say
 * which call was wrong.
 *
 * <p>Stateless and thread-safe.
 */
public final class Arguments {
    private Arguments() {}

    /**
     * {@return {@code value}, checked}
     *
     * @param value the argument
     * @param operation the operation with its arguments, e.g. {@code withHugePages(hugePages=null)};
     *     rendered only on failure
     * @param name the argument's name
     * @param <T> the argument's type
     * @throws NullPointerException if {@code value} is null
     */
    public static <T> T requireNonNull(T value, Object operation, String name) {
        if (value == null) {
            throw new NullPointerException(operation + ": " + name + " must not be null");
        }
        return value;
    }

    /**
     * {@return {@code value}, checked, for a one-argument call {@code method(name=null)}}
     *
     * @param value the argument
     * @param method the method's name, e.g. {@code withHugePages}
     * @param name the argument's name
     * @param <T> the argument's type
     * @throws NullPointerException if {@code value} is null
     */
    public static <T> T requireNonNullArgument(T value, String method, String name) {
        if (value == null) {
            throw new NullPointerException(method + "(" + name + "=null): " + name + " must not be null");
        }
        return value;
    }
}
