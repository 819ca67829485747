package dev.pagealloc.macos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.PlatformUnavailableException;
import dev.pagealloc.api.ProviderStatus;
import dev.pagealloc.spi.PlatformRequest;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** What can be checked of the macOS module off macOS: constants, bindings, provider status. */
class MacPlatformTest {

    /** Each constant's value as the MacOSX SDK headers define it (header in the comment). */
    private static final Map<String, Long> HEADER_VALUES = new TreeMap<>(Map.ofEntries(
            // <mach/kern_return.h>
            Map.entry("KERN_SUCCESS", 0L), Map.entry("KERN_INVALID_ADDRESS", 1L),
                    Map.entry("KERN_PROTECTION_FAILURE", 2L),
            Map.entry("KERN_NO_SPACE", 3L), Map.entry("KERN_INVALID_ARGUMENT", 4L), Map.entry("KERN_FAILURE", 5L),
            Map.entry("KERN_RESOURCE_SHORTAGE", 6L), Map.entry("KERN_NOT_SUPPORTED", 46L),
            // <mach/vm_prot.h>
            Map.entry("VM_PROT_NONE", 0L), Map.entry("VM_PROT_READ", 1L), Map.entry("VM_PROT_WRITE", 2L),
            Map.entry("VM_PROT_EXECUTE", 4L),
            // <mach/vm_statistics.h>
            Map.entry("VM_FLAGS_FIXED", 0L), Map.entry("VM_FLAGS_ANYWHERE", 1L), Map.entry("VM_FLAGS_PURGABLE", 2L),
            Map.entry("VM_FLAGS_OVERWRITE", 0x4000L), Map.entry("VM_FLAGS_SUPERPAGE_SIZE_2MB", 0x20000L),
            Map.entry("VM_MEMORY_APPLICATION_SPECIFIC_1", 240L), Map.entry("SUPERPAGE_2MB_BYTES", 2L << 20),
            // <mach/vm_purgable.h>
            Map.entry("VM_PURGABLE_SET_STATE", 0L), Map.entry("VM_PURGABLE_GET_STATE", 1L),
            Map.entry("VM_PURGABLE_NONVOLATILE", 0L), Map.entry("VM_PURGABLE_VOLATILE", 1L),
            Map.entry("VM_PURGABLE_EMPTY", 2L),
            // <mach/vm_region.h>, <mach/vm_inherit.h>
            Map.entry("VM_REGION_BASIC_INFO_64", 9L), Map.entry("VM_REGION_BASIC_INFO_COUNT_64", 9L),
            Map.entry("VM_INHERIT_NONE", 2L),
            // <sys/mman.h>
            Map.entry("PROT_READ", 1L), Map.entry("PROT_WRITE", 2L), Map.entry("PROT_EXEC", 4L),
                    Map.entry("MAP_PRIVATE", 2L),
            Map.entry("MAP_JIT", 0x800L), Map.entry("MAP_ANON", 0x1000L), Map.entry("MAP_FAILED", -1L),
            Map.entry("MADV_NORMAL", 0L), Map.entry("MADV_RANDOM", 1L), Map.entry("MADV_SEQUENTIAL", 2L),
            Map.entry("MADV_FREE", 5L), Map.entry("MADV_WILLNEED", 3L), Map.entry("MADV_FREE_REUSABLE", 7L),
            Map.entry("MADV_FREE_REUSE", 8L),
            // <sys/errno.h>
            Map.entry("EPERM", 1L), Map.entry("ENOENT", 2L), Map.entry("ENOMEM", 12L), Map.entry("EACCES", 13L),
            Map.entry("EINVAL", 22L), Map.entry("EAGAIN", 35L), Map.entry("ENOTSUP", 45L)));

    @Test
    void shouldDefineEveryConstantAsTheSdkHeadersDo() throws IllegalAccessException {
        Map<String, Long> actual = new TreeMap<>();
        for (Field f : MachAbi.class.getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers())) {
                f.setAccessible(true);
                actual.put(f.getName(), ((Number) f.get(null)).longValue());
            }
        }
        assertEquals(HEADER_VALUES, actual);
        assertEquals(0xF0000000, MachAbi.vmMakeTag(240), "VM_MAKE_TAG(tag) is tag << 24");
    }

    @Test
    void shouldRenderMmapArgumentsInWordsFromTheirBits() {
        assertEquals("PROT_READ|PROT_WRITE|PROT_EXEC", MachAbi.protName(0x07));
        assertEquals("PROT_NONE", MachAbi.protName(0));
        assertEquals("MAP_PRIVATE|MAP_ANON|MAP_JIT", MachAbi.mapFlagsName(0x0002 | 0x1000 | 0x0800));
        assertEquals("MAP_PRIVATE|0x10", MachAbi.mapFlagsName(0x0002 | 0x10));
    }

    @Test
    void shouldDeclareOneFunctionPerKernelMethodWithMatchingArity() {
        Map<String, FunctionDescriptor> declared = FfmMachKernel.declared();
        for (Method m : MachKernel.class.getDeclaredMethods()) {
            if (m.getName().equals("errno") || m.getName().equals("machTaskSelf")) {
                continue;
            }
            String c = cName(m.getName());
            FunctionDescriptor d = declared.get(c);
            assertTrue(d != null, "no downcall for " + c);
            assertEquals(m.getParameterCount(), d.argumentLayouts().size(), c + " arity");
            assertEquals(m.getReturnType() == void.class, d.returnLayout().isEmpty(), c + " returns");
        }
        assertEquals(MachKernel.class.getDeclaredMethods().length - 2, declared.size(), "one declaration per method: "
                + declared.keySet());
    }

    private static String cName(String javaName) {
        String snake = javaName.replaceAll("([A-Z])", "_$1").toLowerCase();
        return switch (javaName) {
            case "sysIcacheInvalidate" -> "sys_icache_invalidate";
            default -> snake;
        };
    }

    @Test
    @DisabledOnOs(OS.MAC)
    void shouldLoadOffMacOsAndFailEachCallByName() {
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> FfmMachKernel.INSTANCE.machVmAllocate(1, MemorySegment.NULL, 4096, 1));
        assertTrue(e.getMessage().startsWith("mach_vm_allocate: no such function here (os.name="), e.getMessage());
        assertThrows(UnsupportedOperationException.class, FfmMachKernel.INSTANCE::machTaskSelf);
        assertThrows(UnsupportedOperationException.class, () -> FfmMachKernel.INSTANCE.madvise(0, 0, 0));
    }

    @Test
    @DisabledOnOs(OS.MAC)
    void shouldReportUnsupportedOffMacOsWithTheReason() {
        MacPlatformProvider provider = new MacPlatformProvider();
        assertEquals("macos", provider.name());
        assertEquals(100, provider.priority());
        assertFalse(provider.support().supported());
        assertEquals("os.name=" + System.getProperty("os.name")
                + ": the macos provider needs macOS (Mach VM calls in libSystem)",
                provider.support().reason());
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> provider.open(PlatformRequest.NONE));
        assertEquals("open(): " + provider.support().reason(), e.getMessage());
        ProviderStatus status = PageAllocator.providers().stream().filter(s -> s.name().equals("macos")).findFirst()
                .orElseThrow(() -> new AssertionError(
                        "ServiceLoader does not find macos: " + PageAllocator.providers()));
        assertFalse(status.supported());
        PlatformUnavailableException forced = assertThrows(PlatformUnavailableException.class,
                () -> PageAllocator.builder().withPlatform("macos").build());
        assertTrue(forced.getMessage().contains("macos"), forced.getMessage());
    }

    @Test
    void shouldFormatFlagsAndProtectionsInWords() {
        assertEquals("VM_FLAGS_FIXED|VM_FLAGS_OVERWRITE|VM_FLAGS_SUPERPAGE_SIZE_2MB|VM_MAKE_TAG(240)",
                MachAbi.allocateFlagsName(0xF0024000));
        assertEquals("VM_FLAGS_ANYWHERE|VM_FLAGS_PURGABLE", MachAbi.allocateFlagsName(3));
        assertEquals("VM_PROT_READ|VM_PROT_EXECUTE", MachAbi.protectionName(5));
        assertEquals("VM_PROT_NONE", MachAbi.protectionName(0));
        assertEquals("MACH_SEND_INVALID_DEST", MachAbi.kernName(0x10000003));
        assertEquals(Arrays.asList("KERN_4", "E99"),
                Arrays.asList(MachAbi.kernName(4).equals("KERN_INVALID_ARGUMENT") ? "KERN_4" : "",
                MachAbi.errnoName(99)));
    }
}
