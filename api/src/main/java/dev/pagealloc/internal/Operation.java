package dev.pagealloc.internal;

/**
 * A region operation and its arguments, rendered as {@code name(arg=value, ...)} only when a
 * message needs it. Operations succeed far more often than they fail, and building the text on every
 * call cost more than some of the system calls it describes.
 *
 * <p>Immutable; cheap enough that the JIT usually removes it.
 */
final class Operation {
    private final String name;
    private final String firstName;
    private final long first;
    private final String secondName;
    private final long second;
    private final Object third;
    /** Whether {@code third} is an argument, so that a null one still shows as {@code protection=null}. */
    private final boolean hasThird;

    private Operation(String name, String firstName, long first, String secondName, long second, Object third,
            boolean hasThird) {
        this.name = name;
        this.firstName = firstName;
        this.first = first;
        this.secondName = secondName;
        this.second = second;
        this.third = third;
        this.hasThird = hasThird;
    }

    /** {@return {@code name()}} */
    static Operation of(String name) {
        return new Operation(name, null, 0, null, 0, null, false);
    }

    /** {@return a step inside another operation, rendered as {@code name} alone}, e.g. {@code restore} */
    static Operation step(String name) {
        return new Operation(name, null, 0, null, 0, STEP, false);
    }

    /** {@return {@code name(argName=value)}} */
    static Operation of(String name, String argName, long value) {
        return new Operation(name, argName, value, null, 0, null, false);
    }

    /** {@return {@code name(firstName=first, secondName=second)}} */
    static Operation of(String name, String firstName, long first, String secondName, long second) {
        return new Operation(name, firstName, first, secondName, second, null, false);
    }

    /** {@return {@code name(byteOffset=.., byteLength=..)}} */
    static Operation ofRange(String name, long byteOffset, long byteLength) {
        return new Operation(name, "byteOffset", byteOffset, "byteLength", byteLength, null, false);
    }

    /** {@return {@code name(byteOffset=.., byteLength=.., protection=..)}} */
    static Operation ofRange(String name, long byteOffset, long byteLength, Object protection) {
        return new Operation(name, "byteOffset", byteOffset, "byteLength", byteLength, protection, true);
    }

    /** Marks a {@link #step}: no argument list. */
    private static final Object STEP = new Object();

    @Override
    public String toString() {
        if (third == STEP) {
            return name;
        }
        StringBuilder text = new StringBuilder(name).append('(');
        if (firstName != null) {
            text.append(firstName).append('=').append(first);
        }
        if (secondName != null) {
            text.append(", ").append(secondName).append('=').append(second);
        }
        if (hasThird) {
            text.append(", protection=").append(third);
        }
        return text.append(')').toString();
    }
}
