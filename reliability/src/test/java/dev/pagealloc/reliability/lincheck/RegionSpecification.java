package dev.pagealloc.reliability.lincheck;

import dev.pagealloc.api.Protection;
import java.util.ArrayList;
import java.util.List;

/**
 * The sequential model of {@link RegionLincheckTest}: the region contract restated in plain Java, one
 * state per page ({@code null}: decommitted) and the first byte of each. Its method names and results
 * match the test's operations; Lincheck calls them by name.
 */
public class RegionSpecification {
    private final List<Protection> pages = new ArrayList<>();
    private final List<Byte> firstBytes = new ArrayList<>();
    private boolean alive = true;

    /** The region as allocated: four read-write pages of zeros, six at most. */
    public RegionSpecification() {
        for (int i = 0; i < RegionLincheckTest.INITIAL; i++) {
            pages.add(Protection.READ_WRITE);
            firstBytes.add((byte) 0);
        }
    }

    /** {@return as {@link RegionLincheckTest#grow()}} */
    public String grow() {
        if (!alive) {
            return "IllegalStateException";
        }
        if (pages.size() + 1 > RegionLincheckTest.MAXIMUM) {
            return "MaximumPagesExceededException";
        }
        int old = pages.size();
        pages.add(Protection.READ_WRITE);
        firstBytes.add((byte) 0);
        return Integer.toString(old);
    }

    /** {@return as {@link RegionLincheckTest#tryGrow()}} */
    public String tryGrow() {
        String grown = grow();
        return grown.equals("MaximumPagesExceededException") ? "-1" : grown;
    }

    /**
     * {@return as {@link RegionLincheckTest#protectRead(int)}}
     *
     * @param page the page
     */
    public String protectRead(int page) {
        return protect(page, Protection.READ);
    }

    /**
     * {@return as {@link RegionLincheckTest#protectReadWrite(int)}}
     *
     * @param page the page
     */
    public String protectReadWrite(int page) {
        return protect(page, Protection.READ_WRITE);
    }

    private String protect(int page, Protection protection) {
        if (!alive || pages.get(page) == null) {
            return "IllegalStateException";
        }
        pages.set(page, protection);
        return "ok";
    }

    /**
     * {@return as {@link RegionLincheckTest#decommit(int)}}
     *
     * @param page the page
     */
    public String decommit(int page) {
        if (!alive) {
            return "IllegalStateException";
        }
        pages.set(page, null);
        firstBytes.set(page, (byte) 0);
        return "ok";
    }

    /**
     * {@return as {@link RegionLincheckTest#recommit(int)}}
     *
     * @param page the page
     */
    public String recommit(int page) {
        if (!alive) {
            return "IllegalStateException";
        }
        if (pages.get(page) != null) {
            return "IllegalArgumentException";
        }
        pages.set(page, Protection.READ_WRITE);
        return "ok";
    }

    /**
     * {@return as {@link RegionLincheckTest#discard(int)}}
     *
     * @param page the page
     */
    public String discard(int page) {
        if (!alive || pages.get(page) == null) {
            return "IllegalStateException";
        }
        firstBytes.set(page, (byte) 0);
        return "ok";
    }

    /**
     * {@return as {@link RegionLincheckTest#increment(int)}}
     *
     * @param page the page
     */
    public String increment(int page) {
        if (!alive || pages.get(page) == null) {
            return "IllegalStateException";
        }
        if (pages.get(page) == Protection.READ) {
            return "read-only " + firstBytes.get(page);
        }
        byte next = (byte) (firstBytes.get(page) + 1);
        firstBytes.set(page, next);
        return "wrote " + next;
    }

    /** {@return as {@link RegionLincheckTest#committedBytes()}} */
    public long committedBytes() {
        return alive ? pages.stream().filter(p -> p != null).count() * RegionLincheckTest.PAGE : 0;
    }

    /** {@return as {@link RegionLincheckTest#deallocate()}} */
    public String deallocate() {
        alive = false;
        return "ok";
    }
}
