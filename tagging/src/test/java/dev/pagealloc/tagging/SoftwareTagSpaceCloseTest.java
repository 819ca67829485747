package dev.pagealloc.tagging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.api.MemoryTagging;
import dev.pagealloc.api.MemoryTagging.TagCheckMode;
import dev.pagealloc.api.MemoryTagging.TaggingPolicy;
import dev.pagealloc.testkit.ChildJvm;
import dev.pagealloc.testkit.ProcMaps;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * The close of a software tag space, whose checks read the shadow without an arena: close drops the shadow's
 * pages at once (kernel's view), the reservation stays mapped while the space is reachable, and checks racing
 * with the close never fault (child JVM), and the core's {@link dev.pagealloc.api.DeferredUnmap} cleaner unmaps
 * every closed shadow once its space is unreachable (the child counts them).
 */
@EnabledOnOs(OS.LINUX)
class SoftwareTagSpaceCloseTest {
    private static final MemoryTagging TAGGING = MemoryTagging.of(TaggingPolicy.SOFTWARE, TagCheckMode.SYNC);

    @Test
    void shouldDropTheShadowsPagesOnCloseAndRefuseEveryUseAfter() {
        long bytes = 4L << 20;
        SoftwareTagSpace tags = SoftwareTagSpace.create(TagSpaces.defaultShadowAllocator(), TAGGING, 0, bytes);
        long shadowBytes = bytes / 16;
        long pointer = tags.tagNew(0, bytes);
        assertEquals(shadowBytes, ProcMaps.sum(tags.shadowAddress(), tags.shadowAddress() + shadowBytes, "Rss"),
                "every shadow page resident once the whole range is tagged");
        tags.close();
        assertEquals(0, ProcMaps.sum(tags.shadowAddress(), tags.shadowAddress() + shadowBytes, "Rss"),
                "no shadow page resident after close");
        assertEquals(shadowBytes, ProcMaps.mappedBytes(tags.shadowAddress(), shadowBytes),
                "the reservation stays mapped while the space is reachable");
        assertTrue(tags.shadowLifetime().isReleased(), "released in the core's DeferredUnmap mode");
        assertFalse(tags.shadowLifetime().isUnmapped(), "and unmapped only once the space is unreachable");
        assertEquals(0, tags.committedShadowBytes());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> tags.check(pointer, 4, false));
        assertTrue(e.getMessage().contains("tag space closed"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> tags.tagNew(0, 16));
        assertThrows(IllegalStateException.class, () -> tags.setTags(0, 16, 1));
        assertThrows(IllegalStateException.class, () -> tags.retag(pointer, 16));
        tags.close(); // idempotent
    }

    @Test
    void shouldNeverFaultWhenChecksRaceWithCloseAndCollection() {
        ChildJvm.Result result = ChildJvm.of(TagCloseRaceChild.class).jvmOption("-Xmx128m")
                .timeout(Duration.ofMinutes(3)).run();
        assertFalse(result.crashed(), result::describe);
        assertEquals(0, result.exitCode(), result::describe);
        assertTrue(result.stdout().contains(TagCloseRaceChild.DONE), result::describe);
        System.out.println(result.stdout()); // the counts, in the test's report
    }
}
