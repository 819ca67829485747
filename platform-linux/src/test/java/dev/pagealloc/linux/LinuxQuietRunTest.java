package dev.pagealloc.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.linux.quiet.NormalRunChild;
import dev.pagealloc.testkit.ChildJvm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * A normal run prints nothing, and observing it costs nothing at start-up when nobody records: a child
 * JVM runs every region operation, a refusal and collections; its stdout and stderr stay empty, it
 * loads pagealloc's event classes (the hooks ran) but never Flight Recorder's metadata repository,
 * which registering an event at its first use would initialize (0.4 to 1.4 s on a busy machine).
 */
// Runs the Linux provider; the hooks are the same on every platform.
@EnabledOnOs(OS.LINUX)
class LinuxQuietRunTest {

    @Test
    void shouldPrintNothingAndLeaveFlightRecorderUninitialized(@TempDir Path folder) throws IOException {
        Path classes = folder.resolve("classes.log");
        ChildJvm.Result run = ChildJvm.of(NormalRunChild.class).jvmOption("-Xlog:class+load=info:file=" + classes)
                .run();
        assertEquals(0, run.exitCode(), run::describe);
        assertEquals("", run.stdout(), run::describe);
        assertEquals("", run.stderr(), run::describe);
        String loaded = Files.readString(classes);
        assertTrue(loaded.contains(" dev.pagealloc.internal.observe.ProtectEvent "), "the hooks ran");
        assertTrue(loaded.contains(" dev.pagealloc.internal.observe.LeakDetector$Watch "), "regions were watched");
        assertFalse(loaded.contains(" jdk.jfr.internal.MetadataRepository "), "Flight Recorder was initialized");
    }
}
