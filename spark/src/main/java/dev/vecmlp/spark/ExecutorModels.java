package dev.vecmlp.spark;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

import dev.vecmlp.data.Scaling;
import dev.vecmlp.io.ModelFile;
import dev.vecmlp.io.ModelFormatException;
import dev.vecmlp.io.Safetensors;
import dev.vecmlp.kernel.KernelProvider;
import dev.vecmlp.nn.Model;

/**
 * The models loaded in this JVM (an executor, or the driver in local mode), shared by every task
 * that scores with the same model: each is read once, by the first task that needs it, and
 * tasks running at the same time share it, each with a predictor of its own (a model is safe to
 * share; a predictor belongs to one thread).
 *
 * <p>A model no task holds stays loaded for the next task; at most {@value #MAX_IDLE} such idle
 * models are kept, and the one idle longest is closed when another would exceed that, so a
 * long-lived executor that scores with many models does not keep all their memory.
 */
final class ExecutorModels {
    static final int MAX_IDLE = 4;

    private static final Map<String, Entry> LOADED = new HashMap<>();
    private static final Deque<String> IDLE = new ArrayDeque<>();
    private static long reads;

    private ExecutorModels() {
    }

    private static final class Entry {
        final ModelFile.Contents contents;
        int holders;

        Entry(ModelFile.Contents contents) {
            this.contents = contents;
        }
    }

    /** One task's hold on a shared model; closing it lets the model go idle. */
    static final class Lease implements AutoCloseable {
        private final String key;
        private final Entry entry;
        private boolean closed;

        private Lease(String key, Entry entry) {
            this.key = key;
            this.entry = entry;
        }

        Model model() {
            return entry.contents.model();
        }

        Scaling scaling() {
            return entry.contents.scaling();
        }

        @Override
        public void close() {
            synchronized (ExecutorModels.class) {
                if (closed) {
                    return;
                }
                closed = true;
                if (--entry.holders == 0) {
                    IDLE.addLast(key);
                    while (IDLE.size() > MAX_IDLE) {
                        LOADED.remove(IDLE.removeFirst()).contents.close();
                    }
                }
            }
        }
    }

    /**
     * The model whose file has digest {@code key}, read from {@code bytes} (fetched only if this
     * JVM has not loaded it) under the name {@code name}.
     */
    static synchronized Lease acquire(String key, String name, Supplier<byte[]> bytes) throws ModelFormatException {
        Entry e = LOADED.get(key);
        if (e == null) {
            e = new Entry(ModelFile.read(Safetensors.read(Path.of(name), bytes.get()), KernelProvider.best()));
            LOADED.put(key, e);
            reads++;
        } else if (e.holders == 0) {
            IDLE.remove(key);
        }
        e.holders++;
        return new Lease(key, e);
    }

    /** How many models this JVM holds now, in use or idle: for tests. */
    static synchronized int loaded() {
        return LOADED.size();
    }

    /** How many times a model was read from its bytes in this JVM: for tests. */
    static synchronized long reads() {
        return reads;
    }

    /** How many of them no task holds: for tests. */
    static synchronized int idle() {
        return IDLE.size();
    }
}
