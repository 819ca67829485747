package dev.pagealloc.api;

/**
 * The access a range of committed pages allows.
 *
 * <p>There is deliberately no read-write-execute value: no mapping made by pagealloc is ever
 * writable and executable at once (W^X). Code is written while {@link #READ_WRITE} and then
 * switched to {@link #READ_EXECUTE}.
 *
 * @implNote Linux maps these to {@code PROT_NONE}, {@code PROT_READ}, {@code PROT_READ|PROT_WRITE}
 *     and {@code PROT_READ|PROT_EXEC}; macOS to {@code VM_PROT_*}; Windows to {@code PAGE_NOACCESS},
 *     {@code PAGE_READONLY}, {@code PAGE_READWRITE} and {@code PAGE_EXECUTE_READ}.
 */
public enum Protection {
    /** No access: any load, store or instruction fetch faults. */
    NONE(false, false, false),
    /** Loads only. */
    READ(true, false, false),
    /** Loads and stores; the state of freshly committed pages. */
    READ_WRITE(true, true, false),
    /** Loads and instruction fetches; never stores. */
    READ_EXECUTE(true, false, true);

    private final boolean readable;
    private final boolean writable;
    private final boolean executable;

    Protection(boolean readable, boolean writable, boolean executable) {
        this.readable = readable;
        this.writable = writable;
        this.executable = executable;
    }

    /** {@return whether loads are allowed} */
    public boolean isReadable() {
        return readable;
    }

    /** {@return whether stores are allowed} */
    public boolean isWritable() {
        return writable;
    }

    /** {@return whether instruction fetches are allowed} */
    public boolean isExecutable() {
        return executable;
    }

    /**
     * {@return whether every access this protection allows is also allowed by {@code other}}; a
     * change from {@code this} to {@code other} that is not widening takes access away.
     *
     * @param other the protection to compare with; not null
     * @throws NullPointerException if {@code other} is null
     */
    public boolean isWithin(Protection other) {
        if (other == null) {
            throw new NullPointerException(this + ".isWithin(other=null): other must not be null");
        }
        return (!readable || other.readable)
                && (!writable || other.writable)
                && (!executable || other.executable);
    }
}
