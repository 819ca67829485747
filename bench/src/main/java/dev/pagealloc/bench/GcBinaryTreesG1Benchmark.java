package dev.pagealloc.bench;

import org.openjdk.jmh.annotations.Fork;

/** {@link GcBinaryTreesBenchmark} in JVMs running HotSpot's G1. */
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-XX:+UseG1GC", "-Xms1g", "-Xmx1g"})
public class GcBinaryTreesG1Benchmark extends GcBinaryTreesBenchmark {
}
