package dev.vecmlp.spark;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A model file's bytes, read from and written to any file system Spark reaches (a local path,
 * {@code file:}, {@code hdfs:}, an object store), with the messages of the command line:
 * what was expected and what was found, and where.
 */
final class ModelBytes {
    /** The largest file a Java array holds. */
    static final long MAX_BYTES = Integer.MAX_VALUE - 16;

    private ModelBytes() {
    }

    /** The bytes of the file at {@code path}. */
    static byte[] read(String path, Configuration conf) {
        Path p = new Path(path);
        try {
            FileSystem fs = p.getFileSystem(conf);
            FileStatus status;
            try {
                status = fs.getFileStatus(p);
            } catch (FileNotFoundException e) {
                throw notAModel(path, "no such file");
            }
            if (status.isDirectory()) {
                throw notAModel(path, "a directory");
            }
            if (status.getLen() == 0) {
                throw notAModel(path, "an empty file (0 bytes)");
            }
            if (status.getLen() > MAX_BYTES) {
                throw notAModel(path, "a file of " + status.getLen() + " bytes, more than one Java array holds ("
                        + MAX_BYTES + ")");
            }
            byte[] bytes = new byte[(int) status.getLen()];
            try (FSDataInputStream in = fs.open(p)) {
                in.readFully(0, bytes);
            }
            return bytes;
        } catch (IOException e) {
            throw new UncheckedIOException(path + ": expected a model file (safetensors) to read, found " + e.getMessage(), e);
        }
    }

    private static IllegalArgumentException notAModel(String path, String found) {
        return new IllegalArgumentException(path + ": expected a model file (safetensors), found " + found);
    }

    /**
     * Writes {@code bytes} to {@code file} through a temporary file beside it, renamed into place
     * once whole: the file is there complete, or not at all.
     */
    static void write(Path file, byte[] bytes, Configuration conf) throws IOException {
        FileSystem fs = file.getFileSystem(conf);
        Path temp = new Path(file.getParent(), "_" + file.getName() + ".tmp");
        try {
            try (FSDataOutputStream out = fs.create(temp, true)) {
                out.write(bytes);
                out.hsync();
            }
            if (!fs.rename(temp, file)) {
                throw new IOException(file + ": expected to rename " + temp + " to it, found the rename refused");
            }
        } finally {
            fs.delete(temp, false);
        }
    }
}
