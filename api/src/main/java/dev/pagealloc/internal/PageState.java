package dev.pagealloc.internal;

import dev.pagealloc.api.Protection;

/** The state of a committed range: one of the protections, or decommitted. */
enum PageState {
    NONE(Protection.NONE),
    READ(Protection.READ),
    READ_WRITE(Protection.READ_WRITE),
    READ_EXECUTE(Protection.READ_EXECUTE),
    /** Memory returned to the OS; inaccessible until recommitted, then zero. */
    DECOMMITTED(Protection.NONE);

    private final Protection protection;

    PageState(Protection protection) {
        this.protection = protection;
    }

    /** {@return the access this state allows} */
    Protection protection() {
        return protection;
    }

    static PageState of(Protection protection) {
        return switch (protection) {
            case NONE -> NONE;
            case READ -> READ;
            case READ_WRITE -> READ_WRITE;
            case READ_EXECUTE -> READ_EXECUTE;
        };
    }
}
