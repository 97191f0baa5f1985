package dev.vecmlp.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Replacing a file whole or not at all, and no temporary file left to trip over. */
class AtomicFileTest {
    @TempDir
    Path dir;

    private static AtomicFile.Content text(String s) {
        return (ch, temp) -> ch.write(ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8)));
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
    void theTemporaryFileIsBesideTheTargetAndRecognisable() throws IOException {
        Path target = dir.resolve("m.safetensors");
        Path[] seen = new Path[1];
        AtomicFile.write(target, (ch, temp) -> {
            seen[0] = temp;
            ch.write(ByteBuffer.wrap(new byte[] {1}));
        });
        assertEquals(dir, seen[0].getParent());
        assertTrue(seen[0].getFileName().toString().startsWith(".m.safetensors."), seen[0].toString());
        assertTrue(AtomicFile.isTemporary(seen[0]), seen[0].toString());
        assertTrue(Files.notExists(seen[0]), "moved over the target");
    }

    @Test
    void aWriteThatFailsHalfwayLeavesTheOldFileAndNoTemporaryFile() throws IOException {
        Path target = dir.resolve("a.png");
        Files.writeString(target, "the user's picture");
        IOException failure = new IOException("disk full");
        IOException thrown = assertThrows(IOException.class, () -> AtomicFile.write(target, (ch, temp) -> {
            ch.write(ByteBuffer.wrap(new byte[10_000]));
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
        assertThrows(IllegalStateException.class, () -> AtomicFile.write(target, (ch, temp) -> {
            ch.write(ByteBuffer.wrap(new byte[] {1}));
            throw new IllegalStateException("renderer bug");
        }));
        assertEquals("old", Files.readString(target));
        assertEquals(List.of("a.png"), names());
    }

    /** What a writer killed mid-write leaves: an unlocked temporary file. The next write removes it. */
    @Test
    void aTemporaryFileLeftByACrashedWriterIsRemovedByTheNextWrite() throws IOException {
        Path target = dir.resolve("model.safetensors");
        Files.writeString(target, "old");
        Path crashed = Files.writeString(dir.resolve(".model.safetensors.00112233445566ff" + AtomicFile.TEMP_SUFFIX), "half");
        Path otherTarget = Files.writeString(dir.resolve(".other.safetensors.00112233445566ff" + AtomicFile.TEMP_SUFFIX), "x");
        Path usersOwn = Files.writeString(dir.resolve(".model.safetensors.notes" + AtomicFile.TEMP_SUFFIX), "mine");
        AtomicFile.write(target, text("new"));
        assertEquals("new", Files.readString(target));
        assertTrue(Files.notExists(crashed), "the crashed writer's file is gone");
        assertTrue(Files.exists(otherTarget), "another target's temporary file is that target's business");
        assertTrue(Files.exists(usersOwn), "a name not of the form written is left alone");
    }

    /** A temporary file a live writer holds (locked) is not removed under it. */
    @Test
    void aTemporaryFileALiveWriterHoldsIsLeftAlone() throws IOException {
        Path target = dir.resolve("model.safetensors");
        Path live = dir.resolve(".model.safetensors.0123456789abcdef" + AtomicFile.TEMP_SUFFIX);
        try (FileChannel ch = FileChannel.open(live, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
             FileLock lock = ch.lock()) {
            AtomicFile.write(target, text("mine"));
            assertTrue(Files.exists(live), "the live writer's file is still there");
        }
        assertEquals("mine", Files.readString(target));
    }

    @Test
    void aDirectoryInTheWayIsNamedAndNothingIsWritten() throws IOException {
        Path target = dir.resolve("taken");
        Files.createDirectory(target);
        Files.writeString(target.resolve("keep.txt"), "kept");
        IOException e = assertThrows(IOException.class, () -> AtomicFile.write(target, text("new")));
        assertTrue(e.getMessage().contains(target + ": expected a file path to write to, found a directory"), e.getMessage());
        assertEquals("kept", Files.readString(target.resolve("keep.txt")));
        assertEquals(List.of("taken"), names());
    }

    @Test
    void aMissingDirectoryIsNamed() {
        Path missing = dir.resolve("no-such-dir");
        IOException e = assertThrows(IOException.class, () -> AtomicFile.write(missing.resolve("a.png"), text("x")));
        assertTrue(e.getMessage().contains(missing + ": expected an existing directory to write a.png into, found none"),
                e.getMessage());
        assertTrue(Files.notExists(missing));
    }

    @Test
    void aParentThatIsAFileIsNamed() throws IOException {
        Path file = Files.writeString(dir.resolve("plain"), "x");
        IOException e = assertThrows(IOException.class, () -> AtomicFile.write(file.resolve("a.png"), text("x")));
        assertTrue(e.getMessage().contains(file + ": expected a directory to write a.png into, found a file"), e.getMessage());
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
