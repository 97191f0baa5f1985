package dev.vecmlp.plot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Replacing a file whole or not at all. */
class AtomicFileTest {
    @TempDir
    Path dir;

    private static AtomicFile.Content text(String s) {
        return out -> out.write(s.getBytes(StandardCharsets.UTF_8));
    }

    private List<String> names() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void writesANewFileAndReplacesAnOldOne() throws IOException {
        Path target = dir.resolve("a.txt");
        AtomicFile.write(target, text("first"));
        assertEquals("first", Files.readString(target));
        AtomicFile.write(target, text("second, longer"));
        assertEquals("second, longer", Files.readString(target));
        assertEquals(List.of("a.txt"), names(), "no temporary file is left behind");
    }

    @Test
    void aWriteThatFailsHalfwayLeavesTheOldFileAndNoTemporaryFile() throws IOException {
        Path target = dir.resolve("a.png");
        Files.writeString(target, "the user's picture");
        IOException failure = new IOException("disk full");
        IOException thrown = assertThrows(IOException.class, () -> AtomicFile.write(target, out -> {
            out.write(new byte[10_000]);
            throw failure;
        }));
        assertSame(failure, thrown);
        assertEquals("the user's picture", Files.readString(target));
        assertEquals(List.of("a.png"), names());
    }

    @Test
    void aRuntimeFailureAlsoLeavesTheOldFile() throws IOException {
        Path target = dir.resolve("a.png");
        Files.writeString(target, "old");
        assertThrows(IllegalStateException.class, () -> AtomicFile.write(target, out -> {
            out.write(1);
            throw new IllegalStateException("renderer bug");
        }));
        assertEquals("old", Files.readString(target));
        assertEquals(List.of("a.png"), names());
    }

    @Test
    void aFailedMoveRemovesTheTemporaryFile() throws IOException {
        // A non-empty directory cannot be replaced by a file: the content is written, the rename fails.
        Path target = dir.resolve("taken");
        Files.createDirectory(target);
        Files.writeString(target.resolve("keep.txt"), "kept");
        assertThrows(IOException.class, () -> AtomicFile.write(target, text("new")));
        assertEquals("kept", Files.readString(target.resolve("keep.txt")));
        assertEquals(List.of("taken"), names());
    }

    @Test
    void aMissingDirectoryIsNamed() {
        Path missing = dir.resolve("no-such-dir");
        IOException e = assertThrows(IOException.class, () -> AtomicFile.write(missing.resolve("a.png"), text("x")));
        assertTrue(e.getMessage().contains("directory " + missing + " does not exist"), e.getMessage());
        assertTrue(Files.notExists(missing));
    }

    @Test
    void aParentThatIsAFileIsNamed() throws IOException {
        Path file = Files.writeString(dir.resolve("plain"), "x");
        IOException e = assertThrows(IOException.class, () -> AtomicFile.write(file.resolve("a.png"), text("x")));
        assertTrue(e.getMessage().contains(file + " is not a directory"), e.getMessage());
    }

    @Test
    void theNewFileGetsTheUsualPermissionsNotOwnerOnly() throws IOException {
        assumeTrue(Files.getFileAttributeView(dir, PosixFileAttributeView.class) != null, "POSIX file system");
        Path usual = Files.createFile(dir.resolve("usual"));
        Path written = dir.resolve("written");
        AtomicFile.write(written, text("x"));
        assertEquals(Files.getPosixFilePermissions(usual), Files.getPosixFilePermissions(written));
    }
}
