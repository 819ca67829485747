package dev.pagealloc.platform.support;

/**
 * One mapping line of Linux's {@code /proc/<pid>/maps}, which is also the first line of each entry of
 * {@code /proc/<pid>/smaps}: {@code start-end perms offset dev inode pathname}, the addresses in hex
 * (proc(5), "/proc/pid/maps"; {@code show_map_vma} in the kernel's {@code fs/proc/task_mmu.c}). The one
 * parser of that line: the Linux probe, the CLI's tour and the test kit's kernel views all read it here.
 *
 * <p>Lenient in what it accepts, so that the test kit's W^X sweep can read other platforms' range lines
 * too: leading blanks, an optional {@code 0x} before either address, and nothing after the range.
 *
 * @param start the first address of the mapping
 * @param end one past its last address
 * @param permissions the {@code rwxp}/{@code rwxs} column, or empty if the line has none
 */
public record MapsLine(long start, long end, String permissions) {
    /**
     * {@return the mapping {@code line} describes, or null if it does not start with a {@code start-end}
     * hex range} (an smaps field line such as {@code Rss: 4 kB}, a blank line)
     *
     * @param line a line of maps or smaps, without its line terminator
     * @throws NumberFormatException if an address has more than 16 hex digits
     */
    public static MapsLine parse(String line) {
        int at = 0;
        while (at < line.length() && Character.isWhitespace(line.charAt(at))) {
            at++;
        }
        at = skipHexPrefix(line, at);
        int startDigits = hexDigits(line, at);
        if (startDigits == 0 || at + startDigits >= line.length() || line.charAt(at + startDigits) != '-') {
            return null;
        }
        long start = Long.parseUnsignedLong(line, at, at + startDigits, 16);
        at = skipHexPrefix(line, at + startDigits + 1);
        int endDigits = hexDigits(line, at);
        if (endDigits == 0) {
            return null;
        }
        long end = Long.parseUnsignedLong(line, at, at + endDigits, 16);
        at += endDigits;
        String permissions = at + 5 <= line.length() && line.charAt(at) == ' ' ? line.substring(at + 1, at + 5) : "";
        return new MapsLine(start, end, permissions);
    }

    private static int skipHexPrefix(String line, int at) {
        return line.startsWith("0x", at) ? at + 2 : at;
    }

    private static int hexDigits(String line, int at) {
        int digits = 0;
        while (at + digits < line.length() && Character.digit(line.charAt(at + digits), 16) >= 0) {
            digits++;
        }
        return digits;
    }
}
