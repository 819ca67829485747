package dev.pagealloc.chicory.spec;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.Instance;

/** How Chicory executes a module's code. */
public enum Engine {
    /** Chicory's interpreter ({@code InterpreterMachine}, its default). */
    INTERPRETER,
    /** Chicory's compiler to JVM bytecode at instantiation ({@link MachineFactoryCompiler}). */
    COMPILER;

    /**
     * Sets this engine on a builder.
     *
     * @param builder the instance builder
     * @return the builder
     */
    Instance.Builder apply(Instance.Builder builder) {
        return this == COMPILER ? builder.withMachineFactory(MachineFactoryCompiler::compile) : builder;
    }
}
