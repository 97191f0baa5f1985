package dev.vecmlp.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every kind of path argument, wrong in every way a user gets it wrong, gets one line that names
 * the option, the path, what was expected there and what was found (issue 15, item 2).
 */
class PathArgumentTest {
    @TempDir
    static Path dir;

    private static Path csv;
    private static Path model;
    private static Path directory;
    private static Path empty;
    private static Path text;

    @BeforeAll
    static void files() throws IOException {
        csv = dir.resolve("train.csv");
        CommandLineTest.writeBlobs(csv, 60, 1, 3, 4);
        model = dir.resolve("m.safetensors");
        CommandLineTest.Run r = CommandLineTest.run("train", "--data", csv.toString(), "--layers", "4:relu", "--epochs", "1",
                "--output", model.toString());
        assertEquals(0, r.exit(), r.err());
        directory = Files.createDirectory(dir.resolve("a-directory"));
        empty = Files.createFile(dir.resolve("empty"));
        text = Files.writeString(dir.resolve("notes.md"), "# vecmlp notes\nnot a model\n");
    }

    /** The one line a command printed on stderr, after checking that it failed. */
    private static String error(String... args) {
        CommandLineTest.Run r = CommandLineTest.run(args);
        assertEquals(1, r.exit(), String.join(" ", args) + "\n" + r.out() + r.err());
        String err = r.err().strip();
        assertFalse(err.contains("\n"), "one line: " + err);
        return err;
    }

    /** The commands that read --model, each with the other arguments it needs. */
    private static List<String[]> modelReaders(Path m) {
        String f = m.toString();
        return List.of(new String[] {"eval", "--model", f, "--data", csv.toString()},
                new String[] {"predict", "--model", f, "--data", csv.toString()},
                new String[] {"features", "--model", f, "--output", dir.resolve("never.png").toString()},
                new String[] {"gradcheck", "--model", f},
                new String[] {"import", "--model", f, "--layers", "4:relu", "--output", dir.resolve("never.safetensors").toString()});
    }

    private static void everyModelReaderSays(Path m, String found) {
        for (String[] args : modelReaders(m)) {
            assertEquals("vecmlp " + args[0] + ": --model " + m + ": expected a model file (safetensors), found " + found,
                    error(args));
        }
    }

    @Test
    void aMissingModelFile() {
        everyModelReaderSays(dir.resolve("missing.safetensors"), "no such file");
        Path inMissingDir = dir.resolve("nowhere").resolve("m.safetensors");
        everyModelReaderSays(inMissingDir, "no such file, nor its directory " + inMissingDir.getParent());
    }

    @Test
    void aDirectoryAsTheModel() {
        everyModelReaderSays(directory, "a directory");
    }

    @Test
    void anEmptyModelFile() {
        everyModelReaderSays(empty, "an empty file (0 bytes)");
    }

    @Test
    void aFifoAsTheModel() throws Exception {
        Path fifo = fifo("model.fifo");
        everyModelReaderSays(fifo, "a special file (a device, pipe or socket), not a regular file");
    }

    @Test
    void aModelFileInAnotherFormatSaysSo() {
        for (String[] args : modelReaders(text)) {
            assertEquals("vecmlp " + args[0] + ": --model " + text + ": at byte 0: header length: expected at most 100000000"
                    + " bytes, found 8100970103404109859: the file starts with the text \"# vecmlp\", not a safetensors header"
                    + " length", error(args));
        }
    }

    @Test
    void aShortModelFileNamesTheOptionAndTheBytes() throws IOException {
        Path five = Files.writeString(dir.resolve("five"), "hello");
        assertEquals("vecmlp eval: --model " + five + ": at byte 0: expected at least 8 bytes (the header length), found a file"
                + " of 5 bytes", error("eval", "--model", five.toString(), "--data", csv.toString()));
    }

    @Test
    void dataThatIsMissingEmptyOrSpecial() throws Exception {
        Path missing = dir.resolve("missing.csv");
        Path fifo = fifo("data.fifo");
        for (Path data : new Path[] {missing, empty, fifo}) {
            String found = data == missing ? "no such file" : data == empty ? "an empty file (0 bytes)"
                    : "a special file (a device, pipe or socket), not a regular file";
            String expected = ": --data " + data + ": expected an IDX directory or a CSV file, found " + found;
            assertEquals("vecmlp train" + expected, error("train", "--data", data.toString(), "--output", out("t")));
            assertEquals("vecmlp eval" + expected, error("eval", "--model", model.toString(), "--data", data.toString()));
            assertEquals("vecmlp predict" + expected, error("predict", "--model", model.toString(), "--data", data.toString()));
        }
    }

    @Test
    void aTestFileThatIsMissing() {
        Path missing = dir.resolve("missing-test.csv");
        assertEquals("vecmlp train: --test " + missing + ": expected an IDX directory or a CSV file, found no such file",
                error("train", "--data", csv.toString(), "--test", missing.toString(), "--output", out("t")));
    }

    @Test
    void malformedCsvNamesTheOptionAndTheLine() throws IOException {
        Path broken = Files.writeString(dir.resolve("broken.csv"), "a,b,label\n1,2,0\n3,x,1\n");
        String err = error("eval", "--model", model.toString(), "--data", broken.toString());
        assertTrue(err.startsWith("vecmlp eval: --data " + broken + ", line 3"), err);
    }

    @Test
    void anIdxDirectoryWhoseImagesFileIsADirectory() throws IOException {
        Path idx = Files.createDirectories(dir.resolve("idx-with-dir"));
        Path images = Files.createDirectory(idx.resolve("t10k-images-idx3-ubyte"));
        idx("t10k-labels-idx1-ubyte", idx, 0x0801, new int[] {2}, 2);
        assertEquals("vecmlp eval: --data " + images + ": expected an IDX file, found a directory",
                error("eval", "--model", model.toString(), "--data", idx.toString()));
    }

    @Test
    void anIdxImagesFileMustBeThreeDimensional() throws IOException {
        Path labelsAsImages = Files.createDirectories(dir.resolve("idx-labels-as-images"));
        Path images = idx("train-images-idx3-ubyte", labelsAsImages, 0x0801, new int[] {2}, 2);
        idx("train-labels-idx1-ubyte", labelsAsImages, 0x0801, new int[] {2}, 2);
        assertEquals("vecmlp train: --data " + images + ", byte 3 (the number of dimensions): expected a 3-D images file"
                + " (magic 0x00000803: rows x height x width, as idx3 in its name says), found 1 dimension (2 unsigned byte"
                + " (0x08) values), the shape of a labels file",
                error("train", "--data", labelsAsImages.toString(), "--output", out("t")));

        Path flat = Files.createDirectories(dir.resolve("idx-2d"));
        images = idx("t10k-images-idx3-ubyte", flat, 0x0802, new int[] {2, 4}, 8);
        idx("t10k-labels-idx1-ubyte", flat, 0x0801, new int[] {2}, 2);
        assertEquals("vecmlp predict: --data " + images + ", byte 3 (the number of dimensions): expected a 3-D images file"
                + " (magic 0x00000803: rows x height x width, as idx3 in its name says), found 2 dimensions: 2 x 4 unsigned"
                + " byte (0x08) values", error("predict", "--model", model.toString(), "--data", flat.toString()));
    }

    @Test
    void anIdxDirectoryWithoutTheSplit() {
        assertEquals("vecmlp train: --data " + directory + ": expected IDX files train-images-idx3-ubyte[.gz] and"
                + " train-labels-idx1-ubyte[.gz], found an empty directory",
                error("train", "--data", directory.toString(), "--output", out("t")));
    }

    @Test
    void aResumeThatIsNotACheckpoint() {
        Path missing = dir.resolve("missing.ckpt");
        String expected = ": expected a training checkpoint (written by --checkpoint), found ";
        assertEquals("vecmlp train: --resume " + missing + expected + "no such file",
                error("train", "--resume", missing.toString(), "--output", out("t")));
        assertEquals("vecmlp train: --resume " + directory + expected + "a directory",
                error("train", "--resume", directory.toString(), "--output", out("t")));
        String err = error("train", "--resume", model.toString(), "--output", out("t"));
        assertTrue(err.startsWith("vecmlp train: --resume " + model + ": metadata: expected a training checkpoint's"), err);
        assertTrue(err.endsWith("this is a model file, which holds no training state"), err);
    }

    @Test
    void outputsThatCannotBeWritten() throws Exception {
        Path noDir = dir.resolve("nowhere").resolve("m.safetensors");
        Path underAFile = model.resolve("x.safetensors");
        String train = "vecmlp train: --output ";
        String[] args = {"train", "--data", csv.toString(), "--epochs", "1", "--output", null};
        args[6] = directory.toString();
        assertEquals(train + directory + ": expected a model file to write, found a directory", error(args));
        args[6] = noDir.toString();
        assertEquals(train + noDir + ": expected a model file to write, found no directory " + noDir.getParent(), error(args));
        args[6] = underAFile.toString();
        assertEquals(train + underAFile + ": expected a model file to write, found " + model
                + ", a file, where its directory should be", error(args));
        args[6] = text.toString();
        assertEquals(train + text + ": expected a new file or a vecmlp model file to replace (or --force to replace any file),"
                + " found an existing file that is not a vecmlp model", error(args));
        Path fifo = fifo("out.fifo");
        assertEquals(train + fifo + ": expected a model file to write, found a special file (a device, pipe or socket),"
                + " which a rename would replace", error("train", "--data", csv.toString(), "--output", fifo.toString(), "--force"));
        assertTrue(Files.exists(fifo) && !Files.isRegularFile(fifo), "the fifo is still there");

        assertEquals("vecmlp train: --plot " + directory + ": expected a PNG file to write, found a directory",
                error("train", "--data", csv.toString(), "--output", out("t"), "--plot", directory.toString()));
        assertEquals("vecmlp train: --plot " + text + ": expected a new file or a PNG picture to replace (or --force to replace"
                + " any file), found an existing file that is not a PNG picture",
                error("train", "--data", csv.toString(), "--output", out("t"), "--plot", text.toString()));
        assertEquals("vecmlp train: --checkpoint " + directory + ": expected a checkpoint file to write, found a directory",
                error("train", "--data", csv.toString(), "--output", out("t"), "--checkpoint", directory.toString()));
        assertEquals("vecmlp features: --output " + directory + ": expected a PNG file to write, found a directory",
                error("features", "--model", model.toString(), "--output", directory.toString()));
        assertEquals("vecmlp import: --output " + directory + ": expected a model file to write, found a directory",
                error("import", "--model", model.toString(), "--output", directory.toString()));
        assertEquals("vecmlp predict: --output " + directory + ": expected a CSV file to write the predictions to, found a"
                + " directory", error("predict", "--model", model.toString(), "--data", csv.toString(), "--output",
                        directory.toString(), "--force"));
        assertEquals("vecmlp predict: --output " + text + ": expected a new file (or --force to replace it), found an existing"
                + " file", error("predict", "--model", model.toString(), "--data", csv.toString(), "--output", text.toString()));
        assertEquals("# vecmlp notes\nnot a model\n", Files.readString(text), "no refused output was touched");
    }

    /** An I/O failure while reading (a file made unreadable after the check, say) is named in words, after the option. */
    @Test
    void aFailureWhileReadingNamesTheOption() {
        IOException e = assertThrows(IOException.class, () -> PathArgument.read("--model", model, PathArgument.MODEL, p -> {
            throw new AccessDeniedException(p.toString());
        }));
        assertEquals("--model " + model + ": expected a model file (safetensors), found a file this user may not read or write"
                + " (permission denied)", e.getMessage());
    }

    /** A file this user may not read; root reads every file, so the check runs only for other users. */
    @Test
    void anUnreadableModel() throws IOException {
        Path locked = Files.copy(model, dir.resolve("locked.safetensors"));
        assumeTrue(locked.toFile().setReadable(false, false) && !Files.isReadable(locked), "this user reads every file");
        everyModelReaderSays(locked, "a file this user may not read");
    }

    private static String out(String name) {
        return dir.resolve(name + ".safetensors").toString();
    }

    /** A named pipe, made with mkfifo; the test is skipped where there is none. */
    private static Path fifo(String name) throws Exception {
        Path p = dir.resolve(name);
        if (!Files.exists(p)) {
            Process mk;
            try {
                mk = new ProcessBuilder("mkfifo", p.toString()).inheritIO().start();
            } catch (IOException e) {
                assumeTrue(false, "no mkfifo here: " + e.getMessage());
                throw e;
            }
            assumeTrue(mk.waitFor() == 0 && Files.exists(p), "mkfifo failed");
        }
        return p;
    }

    /** An uncompressed IDX file of unsigned bytes 0, 1, 0, 1, ... with the given magic and dimensions. */
    private static Path idx(String name, Path in, int magic, int[] dims, int values) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + values);
        b.putInt(magic);
        for (int d : dims) {
            b.putInt(d);
        }
        for (int i = 0; i < values; i++) {
            b.put((byte) (i % 2));
        }
        return Files.write(in.resolve(name), b.array());
    }
}
