package dev.pagealloc.platform.support;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class NativeBinderTest {
    private static final SymbolLookup NOTHING = name -> Optional.empty();
    private static final FunctionDescriptor LONG_OF_LONG = FunctionDescriptor.of(JAVA_LONG, JAVA_LONG);

    @Test
    void shouldBindAnAbsentSymbolToAStubThatNamesIt() {
        NativeBinder binder = NativeBinder.stubbing("Owner", "libnone", NOTHING, "errno", "runs only elsewhere");
        MethodHandle plain = binder.bind("f", LONG_OF_LONG);
        MethodHandle capturing = binder.bindCapturing("g", LONG_OF_LONG);
        assertEquals(LONG_OF_LONG.toMethodType(), plain.type());
        assertEquals(LONG_OF_LONG.toMethodType().insertParameterTypes(0, MemorySegment.class), capturing.type());
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> { long unused = (long) capturing.invokeExact(NativeBinder.callState(), 1L); });
        assertEquals("g: no such function here (os.name=" + System.getProperty("os.name") + "); runs only elsewhere",
                e.getMessage());
    }

    @Test
    void shouldRefuseANameDeclaredTwiceAcrossLibraries() {
        NativeBinder first = NativeBinder.stubbing("Owner", "liba", NOTHING, "errno", "advice");
        NativeBinder second = first.in("libb", NOTHING);
        first.bind("f", LONG_OF_LONG);
        second.bindCapturing("syscall(SYS_x)", "syscall", LONG_OF_LONG);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> second.bind("f", LONG_OF_LONG));
        assertEquals("Owner: f is declared twice", e.getMessage());
        assertEquals(List.of("f", "syscall(SYS_x)"), List.copyOf(first.declared().keySet()));
        assertThrows(UnsupportedOperationException.class, () -> first.declared().clear());
    }

    @Test
    void shouldFailARequiredAbsentSymbolByName() {
        NativeBinder binder = NativeBinder.requiring("Owner", "libnone", NOTHING, "errno");
        UnsatisfiedLinkError e = assertThrows(UnsatisfiedLinkError.class, () -> binder.bind("f", LONG_OF_LONG));
        assertEquals("libnone has no function f", e.getMessage());
    }

    @Test
    void shouldReadTheCapturedStateOrRefuseOneThisPlatformLacks() {
        NativeBinder errno = NativeBinder.stubbing("Owner", "libnone", NOTHING, "errno", "advice");
        NativeBinder.callState().fill((byte) 0);
        assertEquals(0, errno.captured());
        NativeBinder absent = NativeBinder.stubbing("Owner", "libnone", NOTHING, "NoSuchState", "advice");
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, absent::captured);
        assertEquals("NoSuchState: no such function here (os.name=" + System.getProperty("os.name") + "); advice",
                e.getMessage());
    }

    @Test
    void shouldRethrowUncheckedUnchangedAndRefuseChecked() {
        IllegalStateException ise = new IllegalStateException("closed");
        assertSame(ise, assertThrows(IllegalStateException.class, () -> NativeBinder.rethrow(ise)));
        StackOverflowError soe = new StackOverflowError();
        assertSame(soe, assertThrows(StackOverflowError.class, () -> NativeBinder.rethrow(soe)));
        Exception checked = new Exception("checked");
        assertSame(checked, assertThrows(AssertionError.class, () -> NativeBinder.rethrow(checked)).getCause());
    }

    @Test
    void shouldBindARealFunction() throws Throwable {
        NativeBinder libc = NativeBinder.requiring("Owner", "libc",
                Linker.nativeLinker().defaultLookup(), "errno");
        MethodHandle abs = libc.bind("abs", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        assertEquals(7, (int) abs.invokeExact(-7));
    }
}
