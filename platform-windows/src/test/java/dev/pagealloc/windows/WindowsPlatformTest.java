package dev.pagealloc.windows;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.ProviderStatus;
import dev.pagealloc.spi.PlatformRequest;
import dev.pagealloc.testkit.sim.SimulatedWin32;
import java.lang.foreign.FunctionDescriptor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** What can be checked of the Windows module off Windows: constants, bindings, provider status. */
class WindowsPlatformTest {

    /** Each constant's value as the Windows SDK headers define it (header in the comment). */
    private static final Map<String, Object> HEADER_VALUES = new TreeMap<>(Map.ofEntries(
            // um/winnt.h
            Map.entry("MEM_COMMIT", 0x1000), Map.entry("MEM_RESERVE", 0x2000), Map.entry("MEM_DECOMMIT", 0x4000),
            Map.entry("MEM_RELEASE", 0x8000), Map.entry("MEM_FREE", 0x10000), Map.entry("MEM_RESET", 0x80000),
            Map.entry("MEM_LARGE_PAGES", 0x20000000),
            Map.entry("PAGE_NOACCESS", 0x01), Map.entry("PAGE_READONLY", 0x02), Map.entry("PAGE_READWRITE", 0x04),
            Map.entry("PAGE_EXECUTE", 0x10), Map.entry("PAGE_EXECUTE_READ", 0x20),
            Map.entry("PAGE_EXECUTE_READWRITE", 0x40),
            Map.entry("TOKEN_QUERY", 0x0008), Map.entry("TOKEN_ADJUST_PRIVILEGES", 0x0020),
            Map.entry("SE_PRIVILEGE_ENABLED", 0x2), Map.entry("SE_LOCK_MEMORY_NAME", "SeLockMemoryPrivilege"),
            Map.entry("MEMORY_BASIC_INFORMATION_BYTES", 48), Map.entry("TOKEN_PRIVILEGES_BYTES", 16),
            Map.entry("ALL_PROCESSOR_GROUPS", (short) 0xffff),
            // um/memoryapi.h, um/handleapi.h
            Map.entry("FILE_MAP_WRITE", 0x2), Map.entry("FILE_MAP_READ", 0x4), Map.entry("FILE_MAP_EXECUTE", 0x20),
            Map.entry("INVALID_HANDLE_VALUE", -1L),
            // um/WinBase.h, um/sysinfoapi.h
            Map.entry("FORMAT_MESSAGE_IGNORE_INSERTS", 0x200), Map.entry("FORMAT_MESSAGE_FROM_SYSTEM", 0x1000),
            Map.entry("SYSTEM_INFO_BYTES", 48),
            // shared/winerror.h
            Map.entry("ERROR_SUCCESS", 0), Map.entry("ERROR_ACCESS_DENIED", 5), Map.entry("ERROR_INVALID_HANDLE", 6),
            Map.entry("ERROR_NOT_ENOUGH_MEMORY", 8), Map.entry("ERROR_OUTOFMEMORY", 14),
            Map.entry("ERROR_NOT_SUPPORTED", 50),
            Map.entry("ERROR_INVALID_PARAMETER", 87), Map.entry("ERROR_INSUFFICIENT_BUFFER", 122),
            Map.entry("ERROR_INVALID_ADDRESS", 487), Map.entry("ERROR_NOACCESS", 998),
            Map.entry("ERROR_NOT_ALL_ASSIGNED", 1300),
            Map.entry("ERROR_NO_SUCH_PRIVILEGE", 1313), Map.entry("ERROR_PRIVILEGE_NOT_HELD", 1314),
            Map.entry("ERROR_NO_SYSTEM_RESOURCES", 1450), Map.entry("ERROR_WORKING_SET_QUOTA", 1453),
            Map.entry("ERROR_COMMITMENT_LIMIT", 1455)));

    @Test
    void shouldDefineEveryConstantAsTheSdkHeadersDo() throws IllegalAccessException {
        Map<String, Object> actual = new TreeMap<>();
        for (Field f : Win32Abi.class.getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers())) {
                f.setAccessible(true);
                actual.put(f.getName(), f.get(null));
            }
        }
        assertEquals(HEADER_VALUES, actual);
    }

    @Test
    void shouldAgreeWithTheSimulationOnEveryErrorCode() {
        assertEquals(SimulatedWin32.ERROR_INVALID_ADDRESS, Win32Abi.ERROR_INVALID_ADDRESS);
        assertEquals(SimulatedWin32.ERROR_INVALID_PARAMETER, Win32Abi.ERROR_INVALID_PARAMETER);
        assertEquals(SimulatedWin32.ERROR_NOT_ENOUGH_MEMORY, Win32Abi.ERROR_NOT_ENOUGH_MEMORY);
        assertEquals(SimulatedWin32.ERROR_PRIVILEGE_NOT_HELD, Win32Abi.ERROR_PRIVILEGE_NOT_HELD);
        assertEquals(SimulatedWin32.ERROR_NOT_ALL_ASSIGNED, Win32Abi.ERROR_NOT_ALL_ASSIGNED);
    }

    @Test
    void shouldDeclareOneFunctionPerKernelMethodWithMatchingArity() {
        Map<String, FunctionDescriptor> declared = FfmWin32Kernel.declared();
        int methods = 0;
        for (Method m : Win32Kernel.class.getDeclaredMethods()) {
            if (m.getName().equals("getLastError")) {
                continue;
            }
            methods++;
            String c = Character.toUpperCase(m.getName().charAt(0)) + m.getName().substring(1);
            FunctionDescriptor d = declared.get(c);
            assertTrue(d != null, "no downcall for " + c);
            assertEquals(m.getParameterCount(), d.argumentLayouts().size(), c + " arity");
            assertEquals(m.getReturnType() == void.class, d.returnLayout().isEmpty(), c + " returns");
        }
        assertEquals(methods, declared.size(), "one declaration per method: " + declared.keySet());
    }

    @Test
    @DisabledOnOs(OS.WINDOWS)
    void shouldLoadOffWindowsAndFailEachCallByName() {
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> FfmWin32Kernel.INSTANCE.virtualAlloc(0, 65536, Win32Abi.MEM_RESERVE, Win32Abi.PAGE_NOACCESS));
        assertTrue(e.getMessage().startsWith("VirtualAlloc: no such function here (os.name="), e.getMessage());
        assertThrows(UnsupportedOperationException.class, FfmWin32Kernel.INSTANCE::getLastError);
        assertThrows(UnsupportedOperationException.class, FfmWin32Kernel.INSTANCE::getLargePageMinimum);
    }

    @Test
    @DisabledOnOs(OS.WINDOWS)
    void shouldReportUnsupportedOffWindowsWithTheReason() {
        WindowsPlatformProvider provider = new WindowsPlatformProvider();
        assertEquals("windows", provider.name());
        assertEquals(100, provider.priority());
        assertFalse(provider.support().supported());
        assertEquals("os.name=" + System.getProperty("os.name")
                + ": the windows provider needs Windows (VirtualAlloc in kernel32.dll)", provider.support().reason());
        SimulatedWin32 sim = new SimulatedWin32(2L << 20, 0, 0, false);
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> provider.open(PlatformRequest.NONE));
        assertEquals("open(): " + provider.support().reason(), e.getMessage());
        ProviderStatus status = PageAllocator.providers().stream().filter(s -> s.name().equals("windows")).findFirst()
                .orElseThrow(() -> new AssertionError(
                        "ServiceLoader does not find windows: " + PageAllocator.providers()));
        assertFalse(status.supported());
        sim.addressSpace().close();
    }

    @Test
    void shouldWordFlagsAndErrors() {
        assertEquals("MEM_RESERVE|MEM_COMMIT|MEM_LARGE_PAGES", Win32Abi.allocationTypeName(0x20003000));
        assertEquals("PAGE_EXECUTE_READ", Win32Abi.protectionName(0x20));
        assertEquals("ERROR_INVALID_ADDRESS", Win32Abi.errorName(487));
        assertEquals("ERROR_4242", Win32Abi.errorName(4242));
    }
}
