package dev.pagealloc.internal.observe;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Registered;

/** A {@code PageAllocatorException} was made: a kernel refusal, a limit, a missing option. */
@Registered(false) // registered by RegionEvents once Flight Recorder runs: see there
@Name("dev.pagealloc.Refusal")
@Label("Refused Operation")
@Description("A pagealloc operation refused: the kernel, a budget, a limit, or an option the platform lacks")
@Category({"pagealloc", "Problems"})
final class RefusalEvent extends jdk.jfr.Event {
    @Label("Operation")
    @Description("The operation with its arguments, e.g. grow(additionalPages=4)")
    String operation;

    @Label("Exception")
    @Description("The PageAllocatorException subclass thrown")
    Class<?> exceptionClass;

    @Label("Message")
    String message;

    @Label("System Call")
    @Description("The refused call with its arguments; empty unless the kernel refused")
    String systemCall;

    @Label("Error Name")
    @Description("errno, kern_return_t or Win32 error name, e.g. ENOMEM; empty unless the kernel refused")
    String errorName;

    @Label("Error Code")
    @Description("The error's number; 0 unless the kernel refused")
    int errorCode;
}
