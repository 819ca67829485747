package dev.pagealloc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

class MainTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return Main.run(List.of(args), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void shouldRefuseAnUnknownCommandWithUsage() {
        assertEquals(2, run("frobnicate"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("unknown command 'frobnicate'"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("usage: pagealloc"));
    }

    @Test
    void shouldRefuseAnUnknownInfoOption() {
        assertEquals(2, run("info", "--xml"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("unknown option '--xml'"));
    }

    @Test
    void shouldReportEveryRequiredKeyAsOneJsonObject() {
        assertEquals(0, run("info", "--json"));
        String json = out.toString(StandardCharsets.UTF_8).strip();
        assertTrue(json.startsWith("{") && json.endsWith("}") && json.lines().count() == 1, json);
        for (String key : List.of("provider", "providers", "pageSize", "allocationGranularity", "hugePageSizes",
                "hugePagesFree", "transparentHugePages", "numaNodes", "memoryTagging", "protectionKeys",
                "addressBits")) {
            assertTrue(json.contains("\"" + key + "\":"), () -> key + " missing from " + json);
        }
    }

    @Test
    @EnabledOnOs(OS.LINUX)
    void shouldNameLinuxWithTheKernelsPageSizeOnLinux() throws Exception {
        assertEquals(0, run("info", "--json"));
        String json = out.toString(StandardCharsets.UTF_8);
        assertTrue(json.contains("\"provider\":\"linux\""), json);
        // The kernel's own figure, read independently of the library: the KernelPageSize of our mappings.
        String kernelPage = java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/smaps")).stream()
                .filter(l -> l.startsWith("KernelPageSize:")).findFirst().orElseThrow()
                .replaceAll("\\D", "");
        assertTrue(json.contains("\"pageSize\":" + Long.parseLong(kernelPage) * 1024), json);
    }

    @Test
    @EnabledOnOs(OS.LINUX)
    void shouldListThePlatformFeaturesWithTheirAnswers() {
        assertEquals(0, run("info", "--json"));
        String json = out.toString(StandardCharsets.UTF_8);
        assertTrue(json.contains("\"features\":{\"ExecutableMemory\":{\"available\":"), json);
        assertTrue(json.contains("\"PageAdvice\":{\"available\":true,\"reason\":\"madvise("), json);
        assertTrue(json.contains("\"PurgeableMemory\":{\"available\":false,"), json);
    }

    @Test
    void shouldPrintHelp() {
        assertEquals(0, run("help"));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("tour"));
    }
}
