package dev.pagealloc.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pagealloc.spi.SystemCallException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import org.junit.jupiter.api.Test;

/** Exceptions are Serializable (Throwable is): the failed call they carry must survive it. */
class SerializedFailureTest {
    private static final SystemCallError ENOMEM = new SystemCallError(
            "mprotect(0x7f3a12340000, 262144, PROT_READ|PROT_WRITE)", 12, "ENOMEM", "Cannot allocate memory");

    @SuppressWarnings("unchecked")
    private static <T> T roundTrip(T value) throws IOException, ClassNotFoundException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(value);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            return (T) in.readObject();
        }
    }

    @Test
    void shouldKeepTheSystemCallErrorOfASerializedKernelException() throws Exception {
        KernelException sent = new KernelException("grow(additionalPages=4)", "cannot commit 262144 bytes", ENOMEM);
        KernelException received = roundTrip(sent);
        assertEquals(ENOMEM, received.systemCallError());
        assertEquals(sent.getMessage(), received.getMessage());
    }

    @Test
    void shouldKeepTheErrorOfASerializedSystemCallException() throws Exception {
        assertEquals(ENOMEM, roundTrip(new SystemCallException(ENOMEM)).error());
    }
}
