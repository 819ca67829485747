package dev.pagealloc.api;

/**
 * Formatting of byte counts and addresses for messages and reports.
 *
 * <p>Stateless and thread-safe.
 */
public final class Units {
    private Units() {}

    /**
     * {@return {@code byteCount} in the largest binary unit that divides it, e.g. {@code 2 MiB}}
     *
     * @param byteCount a number of bytes
     */
    public static String bytes(long byteCount) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        int unit = 0;
        long value = byteCount;
        while (unit < units.length - 1 && value != 0 && (value & 1023) == 0) {
            value >>= 10;
            unit++;
        }
        return value + " " + units[unit];
    }

    /**
     * {@return {@code address} as {@code 0x}-prefixed lower-case hex}
     *
     * @param address an address
     */
    public static String hex(long address) {
        return "0x" + Long.toHexString(address);
    }
}
