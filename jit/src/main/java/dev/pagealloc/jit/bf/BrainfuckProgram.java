package dev.pagealloc.jit.bf;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A parsed Brainfuck program: its IR ({@link #instructions()}), each instruction's place in the source,
 * and nothing else. The eight commands are {@code + - < > [ ] . ,}; every other character is a comment.
 *
 * <p>{@link #parse} optimizes: runs of {@code +}/{@code -} and of {@code <}/{@code >} fold into one
 * {@link Instruction.Add} or {@link Instruction.Move} (dropped when they cancel out), {@code [-]} becomes
 * {@link Instruction.Clear}, and loops that only add and move and return to their start with the current cell
 * decremented once per turn become {@link Instruction.MultiplyLoop}. {@link #parseUnoptimized} keeps one
 * instruction per command, the reference the optimizations are tested against.
 *
 * <p>Immutable and thread-safe.
 */
public final class BrainfuckProgram {
    private final List<Instruction> instructions;
    private final List<SourcePosition> positions;

    private BrainfuckProgram(List<Instruction> instructions, List<SourcePosition> positions) {
        this.instructions = List.copyOf(instructions);
        this.positions = List.copyOf(positions);
    }

    /**
     * Parses and optimizes a program.
     *
     * @param source the program text
     * @return the program
     * @throws BrainfuckSyntaxException if a {@code ]} closes no {@code [} or a {@code [} is never closed; the
     *     message names the bracket's {@code line:column}
     * @throws NullPointerException if {@code source} is null
     */
    public static BrainfuckProgram parse(String source) {
        return build(tokenize(source), true);
    }

    /**
     * Parses a program into one instruction per command, with no folding and no loop idioms.
     *
     * @param source the program text
     * @return the program
     * @throws BrainfuckSyntaxException as {@link #parse}
     * @throws NullPointerException if {@code source} is null
     */
    public static BrainfuckProgram parseUnoptimized(String source) {
        return build(tokenize(source), false);
    }

    /** {@return the IR, in program order; loops refer to each other by index in this list} */
    public List<Instruction> instructions() {
        return instructions;
    }

    /**
     * {@return where the first command of instruction {@code index} stands in the source}
     *
     * @param index an index in {@link #instructions()}
     * @throws IndexOutOfBoundsException if {@code index} is not in {@code 0..instructions().size()-1}
     */
    public SourcePosition position(int index) {
        return positions.get(index);
    }

    /** A command and where it stands. */
    private record Token(char command, SourcePosition position) {}

    private static List<Token> tokenize(String source) {
        Objects.requireNonNull(source, "source");
        List<Token> tokens = new ArrayList<>();
        Deque<Token> open = new ArrayDeque<>();
        int line = 1;
        int column = 1;
        for (int i = 0; i < source.length(); i++) {
            char c = source.charAt(i);
            if ("+-<>[].,".indexOf(c) >= 0) {
                Token token = new Token(c, new SourcePosition(line, column));
                if (c == '[') {
                    open.push(token);
                } else if (c == ']' && open.poll() == null) {
                    throw new BrainfuckSyntaxException(token.position(), "']' closes no '['");
                }
                tokens.add(token);
            }
            if (c == '\n') {
                line++;
                column = 1;
            } else {
                column++;
            }
        }
        if (!open.isEmpty()) {
            throw new BrainfuckSyntaxException(open.peek().position(), "'[' is never closed");
        }
        return tokens;
    }

    private static BrainfuckProgram build(List<Token> tokens, boolean optimize) {
        List<Instruction> out = new ArrayList<>();
        List<SourcePosition> positions = new ArrayList<>();
        Deque<Integer> loops = new ArrayDeque<>();
        int i = 0;
        while (i < tokens.size()) {
            Token token = tokens.get(i);
            char c = token.command();
            int next = i + 1;
            Instruction instruction = switch (c) {
                case '+', '-' -> {
                    int sum = c == '+' ? 1 : -1;
                    while (optimize && next < tokens.size() && isAdd(tokens.get(next).command())) {
                        sum += tokens.get(next++).command() == '+' ? 1 : -1;
                    }
                    int delta = Math.floorMod(sum, 256);
                    yield delta == 0 ? null : new Instruction.Add(delta);
                }
                case '<', '>' -> {
                    int sum = c == '>' ? 1 : -1;
                    while (optimize && next < tokens.size() && isMove(tokens.get(next).command())) {
                        sum += tokens.get(next++).command() == '>' ? 1 : -1;
                    }
                    yield sum == 0 ? null : new Instruction.Move(sum);
                }
                case '.' -> new Instruction.Output();
                case ',' -> new Instruction.Input();
                case '[' -> {
                    int end = optimize ? simpleLoopEnd(tokens, i) : -1;
                    if (end >= 0) {
                        next = end + 1;
                        yield simpleLoop(tokens.subList(i + 1, end));
                    }
                    loops.push(out.size());
                    yield new Instruction.LoopStart(-1);
                }
                case ']' -> {
                    int start = loops.pop();
                    out.set(start, new Instruction.LoopStart(out.size()));
                    yield new Instruction.LoopEnd(start);
                }
                default -> throw new AssertionError("tokenize() keeps commands only, got " + c);
            };
            if (instruction != null) {
                out.add(instruction);
                positions.add(token.position());
            }
            i = next;
        }
        return new BrainfuckProgram(out, positions);
    }

    private static boolean isAdd(char c) {
        return c == '+' || c == '-';
    }

    private static boolean isMove(char c) {
        return c == '<' || c == '>';
    }

    /**
     * {@return the index of the {@code ]} closing the loop opened at {@code open}, if the loop is a clear or
     * multiply loop, else -1}
     */
    private static int simpleLoopEnd(List<Token> tokens, int open) {
        int offset = 0;
        int min = 0;
        int max = 0;
        TreeMap<Integer, Integer> deltas = new TreeMap<>();
        for (int j = open + 1; j < tokens.size(); j++) {
            switch (tokens.get(j).command()) {
                case '+' -> deltas.merge(offset, 1, Integer::sum);
                case '-' -> deltas.merge(offset, -1, Integer::sum);
                case '>' -> max = Math.max(max, ++offset);
                case '<' -> min = Math.min(min, --offset);
                case ']' -> {
                    int own = Math.floorMod(deltas.getOrDefault(0, 0), 256);
                    // One decrement per turn: the loop runs as many turns as the cell holds. Any odd step
                    // on the current cell alone also ends at 0 (in 256 turns at most), touching nothing else.
                    boolean multiply = own == 255;
                    boolean clear = own % 2 == 1 && min == 0 && max == 0;
                    return offset == 0 && (multiply || clear) ? j : -1;
                }
                default -> {
                    return -1;
                }
            }
        }
        return -1;
    }

    /** The instruction of a loop body {@link #simpleLoopEnd} accepted. */
    private static Instruction simpleLoop(List<Token> body) {
        int offset = 0;
        int min = 0;
        int max = 0;
        TreeMap<Integer, Integer> deltas = new TreeMap<>();
        for (Token token : body) {
            switch (token.command()) {
                case '+' -> deltas.merge(offset, 1, Integer::sum);
                case '-' -> deltas.merge(offset, -1, Integer::sum);
                case '>' -> max = Math.max(max, ++offset);
                case '<' -> min = Math.min(min, --offset);
                default -> throw new AssertionError("simpleLoopEnd() accepts + - < > only");
            }
        }
        List<Instruction.Term> terms = new ArrayList<>();
        deltas.forEach((cell, sum) -> {
            int factor = Math.floorMod(sum, 256);
            if (cell != 0 && factor != 0) {
                terms.add(new Instruction.Term(cell, factor));
            }
        });
        if (terms.isEmpty() && min == 0 && max == 0) {
            return new Instruction.Clear();
        }
        return new Instruction.MultiplyLoop(terms, min, max);
    }
}
