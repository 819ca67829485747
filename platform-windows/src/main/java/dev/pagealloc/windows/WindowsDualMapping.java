package dev.pagealloc.windows;

import static dev.pagealloc.windows.Win32Abi.FILE_MAP_EXECUTE;
import static dev.pagealloc.windows.Win32Abi.FILE_MAP_READ;
import static dev.pagealloc.windows.Win32Abi.FILE_MAP_WRITE;

import dev.pagealloc.api.Units;
import dev.pagealloc.spi.ExecutableMemory;
import dev.pagealloc.spi.SystemCallException;

/**
 * {@link ExecutableMemory} on Windows: a section backed by the paging file
 * ({@code CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_EXECUTE_READWRITE, ...)}) with two views,
 * {@code MapViewOfFileEx(FILE_MAP_WRITE)} (read-write) and
 * {@code MapViewOfFileEx(FILE_MAP_READ | FILE_MAP_EXECUTE)} (read-execute). The section's
 * {@code PAGE_EXECUTE_READWRITE} is only the ceiling its views may ask for (MapViewOfFileEx docs:
 * {@code FILE_MAP_EXECUTE} needs a section created with {@code PAGE_EXECUTE_READ} or
 * {@code PAGE_EXECUTE_READWRITE}); no view is both writable and executable. The handle is kept until
 * {@link #unmap}, which unmaps both views and closes it. {@code FlushInstructionCache} after writing
 * code (FlushInstructionCache docs: "Applications should call FlushInstructionCache if they generate
 * or modify code in memory").
 *
 * <p>Tested against a mocked kernel only: the simulated Win32 kernel models no sections, and no Windows
 * machine ran it.
 *
 * <p>Stateless apart from the kernel: thread-safe.
 */
final class WindowsDualMapping implements ExecutableMemory {
    private final Win32Kernel kernel;
    private final Win32Errors errors;
    private final WindowsVirtualMemory memory;

    WindowsDualMapping(Win32Kernel kernel, Win32Errors errors, WindowsVirtualMemory memory) {
        this.kernel = kernel;
        this.errors = errors;
        this.memory = memory;
    }

    @Override
    public String describe() {
        return "CreateFileMappingW section + two MapViewOfFileEx views, FILE_MAP_WRITE and"
                + " FILE_MAP_READ|FILE_MAP_EXECUTE; FlushInstructionCache";
    }

    @Override
    public DualMapping map(long byteSize) throws SystemCallException {
        int high = (int) (byteSize >>> 32);
        int low = (int) byteSize;
        long section = kernel.createFileMappingW(Win32Abi.INVALID_HANDLE_VALUE, 0, Win32Abi.PAGE_EXECUTE_READWRITE,
                high, low, 0);
        if (section == 0) {
            throw errors.failure("CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_EXECUTE_READWRITE, " + high
                    + ", " + Integer.toUnsignedString(low) + ", NULL)");
        }
        long writable = 0;
        try {
            writable = view(section, FILE_MAP_WRITE, "FILE_MAP_WRITE", byteSize);
            long executable = view(section, FILE_MAP_READ | FILE_MAP_EXECUTE, "FILE_MAP_READ|FILE_MAP_EXECUTE",
                    byteSize);
            return new DualMapping(writable, executable, byteSize, section);
        } catch (SystemCallException e) {
            if (writable != 0) {
                kernel.unmapViewOfFile(writable);
            }
            kernel.closeHandle(section);
            throw e;
        }
    }

    private long view(long section, int access, String accessName, long byteSize) throws SystemCallException {
        long address = kernel.mapViewOfFileEx(section, access, 0, 0, byteSize, 0);
        if (address == 0) {
            throw errors.failure("MapViewOfFileEx(" + Units.hex(section) + ", " + accessName + ", 0, 0, " + byteSize
                    + ", NULL)");
        }
        return address;
    }

    @Override
    public void unmap(DualMapping mapping) throws SystemCallException {
        SystemCallException first = null;
        for (long view : new long[] {mapping.executableAddress(), mapping.writableAddress()}) {
            if (kernel.unmapViewOfFile(view) == 0 && first == null) {
                first = errors.failure("UnmapViewOfFile(" + Units.hex(view) + ")");
            }
        }
        if (kernel.closeHandle(mapping.handle()) == 0 && first == null) {
            first = errors.failure("CloseHandle(" + Units.hex(mapping.handle()) + ")");
        }
        if (first != null) {
            throw first;
        }
    }

    @Override
    public void flushInstructionCache(long address, long byteSize) {
        try {
            memory.flushInstructionCache(address, byteSize);
        } catch (SystemCallException e) {
            // FlushInstructionCache on the current process fails only for a bad range, which the
            // caller's own view rules out; report it rather than run stale code.
            throw new IllegalStateException(e.getMessage(), e);
        }
    }
}
