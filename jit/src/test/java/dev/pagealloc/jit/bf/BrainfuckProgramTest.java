package dev.pagealloc.jit.bf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.pagealloc.jit.bf.Instruction.Add;
import dev.pagealloc.jit.bf.Instruction.Clear;
import dev.pagealloc.jit.bf.Instruction.LoopEnd;
import dev.pagealloc.jit.bf.Instruction.LoopStart;
import dev.pagealloc.jit.bf.Instruction.Move;
import dev.pagealloc.jit.bf.Instruction.MultiplyLoop;
import dev.pagealloc.jit.bf.Instruction.Output;
import dev.pagealloc.jit.bf.Instruction.Term;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Parsing: bracket matching, its errors, and the IR's folding and loop idioms. */
class BrainfuckProgramTest {

    private static List<Instruction> ir(String source) {
        return BrainfuckProgram.parse(source).instructions();
    }

    @Test
    void shouldFoldRunsAndDropThoseThatCancel() {
        assertEquals(List.of(new Add(1), new Move(2), new Add(255)), ir("+++-- >>>< -"));
        assertEquals(List.of(), ir("+-<> comment +-"));
        assertEquals(List.of(new Add(0x80)), ir("+".repeat(384)));
        assertEquals(List.of(new Move(-3), new Output()), ir("<<<."));
    }

    @Test
    void shouldKeepOneInstructionPerCommandWhenUnoptimized() {
        assertEquals(List.of(new Add(1), new Add(255), new LoopStart(4), new Add(255), new LoopEnd(2)),
                BrainfuckProgram.parseUnoptimized("+-[-]").instructions());
    }

    @Test
    void shouldTurnLoopsThatOnlyCountTheCellDownIntoClears() {
        assertEquals(List.of(new Clear()), ir("[-]"));
        assertEquals(List.of(new Clear()), ir("[+]"));
        assertEquals(List.of(new Clear()), ir("[---]"));
        // An even step may never reach 0 (from 1 by 2): a real loop.
        assertEquals(List.of(new LoopStart(2), new Add(254), new LoopEnd(0)), ir("[--]"));
    }

    @Test
    void shouldTurnBalancedDecrementingLoopsIntoMultiplyLoops() {
        assertEquals(List.of(new MultiplyLoop(List.of(new Term(1, 1), new Term(2, 2)), 0, 2)), ir("[->+>++<<]"));
        assertEquals(List.of(new MultiplyLoop(List.of(new Term(-2, 255)), -2, 0)), ir("[<<->>-]"));
        // Visits a cell without changing it: still checked against the tape, so the reach is kept.
        assertEquals(List.of(new MultiplyLoop(List.of(), 0, 1)), ir("[-><]"));
    }

    @Test
    void shouldKeepLoopsThatMoveOrNestAsLoops() {
        assertEquals(List.of(new LoopStart(3), new Add(255), new Move(1), new LoopEnd(0)), ir("[->]"));
        assertEquals(List.of(new LoopStart(3), new Move(1), new Clear(), new LoopEnd(0)), ir("[>[-]]"));
        assertEquals(List.of(new LoopStart(3), new Output(), new Add(255), new LoopEnd(0)), ir("[.-]"));
    }

    @Test
    void shouldRecordWhereEachInstructionStarts() {
        BrainfuckProgram program = BrainfuckProgram.parse("ab ++\n  >>[-]\n.");
        assertEquals(new SourcePosition(1, 4), program.position(0));
        assertEquals(new SourcePosition(2, 3), program.position(1));
        assertEquals(new SourcePosition(2, 5), program.position(2));
        assertEquals(new SourcePosition(3, 1), program.position(3));
    }

    @Test
    void shouldNameTheLineAndColumnOfAStrayClosingBracket() {
        BrainfuckSyntaxException e = assertThrows(BrainfuckSyntaxException.class,
                () -> BrainfuckProgram.parse("[+]\n  +]"));
        assertEquals("parse(): ']' closes no '[' at 2:4", e.getMessage());
        assertEquals(new SourcePosition(2, 4), e.position());
    }

    @Test
    void shouldNameTheLineAndColumnOfTheInnermostUnclosedBracket() {
        BrainfuckSyntaxException e = assertThrows(BrainfuckSyntaxException.class,
                () -> BrainfuckProgram.parseUnoptimized("[\n x[[-]"));
        assertEquals("parse(): '[' is never closed at 2:3", e.getMessage());
        assertEquals(new SourcePosition(2, 3), e.position());
    }

    @Test
    void shouldRefuseANullSource() {
        assertThrows(NullPointerException.class, () -> BrainfuckProgram.parse(null));
    }
}
