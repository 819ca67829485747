package dev.pagealloc.jit.bf;

import java.util.BitSet;

/**
 * A tiny structured language that writes Brainfuck: named cells, loops, conditionals and byte arithmetic,
 * with the tape pointer tracked statically so every construct starts and ends at a known cell. The test
 * programs ({@link TestPrograms}) are written in it; the {@code .b} files are its output.
 *
 * <p>Conventions: cells are 8-bit and wrap; a freed cell must hold 0; {@link #ifZero} needs the two cells
 * after the tested one, so such cells come from {@link #allocTested()}.
 */
final class BfBuilder {
    private static final int LINE_COLUMNS = 80;

    private final StringBuilder code = new StringBuilder();
    private final BitSet used = new BitSet();
    private int pointer;
    private int column;

    /** {@return the program, in lines of {@value #LINE_COLUMNS} commands} */
    String build() {
        return code + (column > 0 ? "\n" : "");
    }

    /** {@return a free cell, holding 0} */
    int alloc() {
        int cell = used.nextClearBit(0);
        used.set(cell);
        return cell;
    }

    /** {@return a free cell whose two right neighbours are free too, reserved for {@link #ifZero}} */
    int allocTested() {
        int cell = used.nextClearBit(0);
        while (used.get(cell + 1) || used.get(cell + 2)) {
            cell = used.nextClearBit(cell + 1);
        }
        used.set(cell, cell + 3);
        return cell;
    }

    /** Frees cells that hold 0 again (a tested cell frees its neighbours too). */
    void free(int... cells) {
        for (int cell : cells) {
            used.clear(cell);
        }
    }

    /** Frees a cell from {@link #allocTested()}, with its two neighbours. */
    void freeTested(int cell) {
        used.clear(cell, cell + 3);
    }

    private void emit(char command) {
        code.append(command);
        if (++column == LINE_COLUMNS) {
            code.append('\n');
            column = 0;
        }
    }

    private void emit(char command, int times) {
        for (int i = 0; i < times; i++) {
            emit(command);
        }
    }

    void at(int cell) {
        emit(cell > pointer ? '>' : '<', Math.abs(cell - pointer));
        pointer = cell;
    }

    void add(int cell, int amount) {
        int k = Math.floorMod(amount, 256);
        at(cell);
        if (k <= 128) {
            emit('+', k);
        } else {
            emit('-', 256 - k);
        }
    }

    void clear(int cell) {
        at(cell);
        emit('[');
        emit('-');
        emit(']');
    }

    void set(int cell, int value) {
        clear(cell);
        add(cell, value);
    }

    void output(int cell) {
        at(cell);
        emit('.');
    }

    /** {@code while (cell != 0) body}; the body may move anywhere, it is brought back to {@code cell}. */
    void loop(int cell, Runnable body) {
        at(cell);
        emit('[');
        body.run();
        at(cell);
        emit(']');
    }

    /** {@code to += sign * from; from = 0}. */
    void moveAdd(int from, int to, int sign) {
        loop(from, () -> {
            add(from, -1);
            add(to, sign);
        });
    }

    /** {@code to += sign * from}, keeping {@code from}. */
    void copyAdd(int from, int to, int sign) {
        int t = alloc();
        loop(from, () -> {
            add(from, -1);
            add(to, sign);
            add(t, 1);
        });
        moveAdd(t, from, 1);
        free(t);
    }

    /** {@code if (cell != 0) body}, keeping {@code cell}. */
    void ifNonZero(int cell, Runnable body) {
        int t = alloc();
        copyAdd(cell, t, 1);
        loop(t, () -> {
            body.run();
            clear(t);
        });
        free(t);
    }

    /**
     * {@code if (cell == 0) body} in constant time, keeping {@code cell}: with {@code a = cell+1} set to 1
     * and {@code b = cell+2} at 0, {@code [>-]>} ends on {@code a} (still 1) when the cell is 0 and on
     * {@code b} (0) otherwise; the body runs in a loop entered only on {@code a}, which it leaves on
     * {@code b}. The body must not touch {@code a} or {@code b}.
     */
    void ifZero(int cell, Runnable body) {
        int a = cell + 1;
        int b = cell + 2;
        add(a, 1);
        at(cell);
        emit('[');
        emit('>');
        emit('-');
        emit(']');
        emit('>');
        pointer = a; // the branch where the body runs; the other one is at b
        emit('[');
        body.run();
        at(a);
        emit('-');
        at(b);
        emit(']');
        pointer = b; // both branches end here
    }

    /** Prints {@code text} through one scratch cell, moving it by the difference between characters. */
    void print(String text) {
        int c = alloc();
        int previous = 0;
        for (char ch : text.toCharArray()) {
            add(c, ch - previous);
            output(c);
            previous = ch;
        }
        clear(c);
        free(c);
    }

    /** Prints {@code cell} (0..255) in decimal, without leading zeros; keeps {@code cell}. */
    void printDecimal(int cell) {
        int ones = alloc();
        int tens = alloc();
        int hundreds = alloc();
        int untilTen = allocTested();
        int untilHundred = allocTested();
        int w = alloc();
        set(untilTen, 10);
        set(untilHundred, 10);
        copyAdd(cell, w, 1);
        loop(w, () -> {
            add(w, -1);
            add(ones, 1);
            add(untilTen, -1);
            ifZero(untilTen, () -> {
                set(untilTen, 10);
                clear(ones);
                add(tens, 1);
                add(untilHundred, -1);
                ifZero(untilHundred, () -> {
                    set(untilHundred, 10);
                    clear(tens);
                    add(hundreds, 1);
                });
            });
        });
        int any = alloc();
        ifNonZero(hundreds, () -> {
            set(any, 1);
            printDigit(hundreds);
        });
        ifNonZero(tens, () -> set(any, 1));
        ifNonZero(any, () -> printDigit(tens));
        printDigit(ones);
        for (int c : new int[] {ones, tens, hundreds, untilTen, untilHundred, any}) {
            clear(c);
        }
        free(ones, tens, hundreds, w, any);
        freeTested(untilTen);
        freeTested(untilHundred);
    }

    /**
     * {@code result = a * b / divisor}, truncated; keeps {@code a} and {@code b}. Counts the product down in
     * units, carrying into {@code result} every {@code divisor} units, so no intermediate exceeds a byte.
     */
    void multiplyDivide(int a, int b, int divisor, int result) {
        int countdown = allocTested();
        int outer = alloc();
        int inner = alloc();
        set(countdown, divisor);
        copyAdd(a, outer, 1);
        loop(outer, () -> {
            add(outer, -1);
            copyAdd(b, inner, 1);
            loop(inner, () -> {
                add(inner, -1);
                add(countdown, -1);
                ifZero(countdown, () -> {
                    set(countdown, divisor);
                    add(result, 1);
                });
            });
        });
        clear(countdown);
        freeTested(countdown);
        free(outer, inner);
    }

    private void printDigit(int cell) {
        add(cell, '0');
        output(cell);
        add(cell, -'0');
    }
}
