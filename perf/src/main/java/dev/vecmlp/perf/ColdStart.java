package dev.vecmlp.perf;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

import dev.vecmlp.io.ModelFile;
import dev.vecmlp.nn.Model;
import dev.vecmlp.nn.Predictor;
import dev.vecmlp.nn.WorkerPool;

/**
 * What a service that embeds a model sees in a fresh JVM: how long after {@code java} started
 * the first prediction is done, what the first 1,000 batch-1 calls cost, and the steady state
 * after that, for vecmlp here and for ONNX Runtime's Java API through the same {@link Engine}
 * contract ({@code dev.vecmlp.perf.ort.OrtColdStart}, built with {@code -P onnxruntime}). One
 * JVM measures one engine once: {@code perf/cold-start.sh} runs fresh JVMs in turn and gives
 * medians and ranges.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp perf/target/benchmarks.jar dev.vecmlp.perf.ColdStart MODEL.safetensors [--warm-up]
 * </pre>
 * With {@code --warm-up} the predictor's {@link Predictor#warmUp()} runs before the first
 * prediction, as a service would call it before taking traffic, and its time is reported.
 *
 * <p>Printed, one {@code key=value} a field on one line: {@code loaded_ms} (JVM start to the
 * model read and ready), {@code first_ms} (JVM start to the end
 * of the first prediction, the model file's reading and any warm-up included), {@code warmup_ms}
 * and {@code settled}, {@code first1000_ms} and {@code first1000_p99_us} (the 1,000 batch-1
 * calls after the first), then for batches 1, 32 and 256 on one thread and 256 on two,
 * {@code b<N>_us} / {@code b<N>x2_us}: the median time of a call once the engine is steady
 * (after 20,000 batch-1 calls and 2 s of calls at each batch), plain {@link System#nanoTime()}
 * timings, not JMH.
 */
public final class ColdStart {
    /** Inputs of the fixed batch every engine is given: network A's 784 features, scaled to [0, 1]. */
    public static final int FEATURES = 784;
    public static final int MAX_BATCH = 256;

    /** One engine, the model loaded: what the harness times. */
    public interface Engine extends AutoCloseable {
        /**
         * Predicts the first {@code batch} rows of the fixed inputs ({@link ColdStart#inputs()}, given as
         * {@code x}; an engine may have copied them into buffers of its own in {@link #prepare})
         * on {@code threads} threads.
         */
        void predict(float[] x, int batch, int threads) throws Exception;

        /** Makes ready what a batch or thread count needs (buffers, sessions) outside the timings. */
        void prepare(int batch, int threads) throws Exception;

        @Override
        void close() throws Exception;
    }

    /** Milliseconds from JVM start to the model loaded, set by the engine through {@link #loaded()}. */
    private static long loadedMillis = -1;

    private ColdStart() {
    }

    /** Records that the model has been loaded: now, in milliseconds since the JVM started. */
    public static void loaded() {
        loadedMillis = System.currentTimeMillis() - ManagementFactory.getRuntimeMXBean().getStartTime();
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            throw new IllegalArgumentException("usage: ColdStart MODEL.safetensors [--warm-up]");
        }
        boolean warm = args.length > 1 && args[1].equals("--warm-up");
        long[] warmUp = {-1};
        boolean[] settled = {false};
        Engine vecmlp = new VecmlpEngine(Path.of(args[0]), warm, warmUp, settled);
        measure("vecmlp", vecmlp, warmUp[0], settled[0]);
    }

    /** The fixed inputs: pseudo-random in [0, 1], as scaled MNIST pixels are. */
    public static float[] inputs() {
        SplittableRandom rng = new SplittableRandom(42);
        float[] x = new float[MAX_BATCH * FEATURES];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rng.nextDouble();
        }
        return x;
    }

    /**
     * Times {@code engine}, which has just been made (model loaded, nothing run on it but a
     * warm-up of {@code warmUpMillis}, -1 for none), and prints the line.
     */
    public static void measure(String name, Engine engine, long warmUpMillis, boolean settled) throws Exception {
        long jvmStart = ManagementFactory.getRuntimeMXBean().getStartTime();
        float[] x = inputs();
        try (engine) {
            engine.prepare(1, 1);
            engine.predict(x, 1, 1);
            long first = System.currentTimeMillis() - jvmStart;
            long[] calls = new long[1000];
            long t0 = System.nanoTime();
            for (int i = 0; i < calls.length; i++) {
                long a = System.nanoTime();
                engine.predict(x, 1, 1);
                calls[i] = System.nanoTime() - a;
            }
            long first1000 = System.nanoTime() - t0;
            Arrays.sort(calls);
            for (int i = 0; i < 20_000; i++) {
                engine.predict(x, 1, 1);
            }
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT,
                    "engine=%s loaded_ms=%d first_ms=%d warmup_ms=%d settled=%b first1000_ms=%.1f first1000_p99_us=%.1f",
                    name, loadedMillis, first, warmUpMillis, settled, first1000 / 1e6, calls[989] / 1e3));
            int[][] cases = {{1, 1}, {32, 1}, {256, 1}, {256, 2}};
            for (int[] c : cases) {
                line.append(String.format(Locale.ROOT, " b%d%s_us=%.1f", c[0], c[1] > 1 ? "x" + c[1] : "",
                        steadyMedian(engine, x, c[0], c[1]) / 1e3));
            }
            System.out.println(line);
        }
    }

    /** The median call at {@code batch} on {@code threads} threads, after 2 s of calls at that batch. */
    private static double steadyMedian(Engine engine, float[] x, int batch, int threads) throws Exception {
        engine.prepare(batch, threads);
        long until = System.nanoTime() + 2_000_000_000L;
        while (System.nanoTime() < until) {
            engine.predict(x, batch, threads);
        }
        int n = Math.max(50, (int) Math.min(5_000, 200_000_000L / Math.max(1, batch * 2_000L)));
        long[] t = new long[n];
        for (int i = 0; i < n; i++) {
            long a = System.nanoTime();
            engine.predict(x, batch, threads);
            t[i] = System.nanoTime() - a;
        }
        Arrays.sort(t);
        return t[n / 2];
    }

    /** vecmlp: the model file read, one predictor per thread count, a 2-thread pool for the split batch. */
    private static final class VecmlpEngine implements Engine {
        private final ModelFile.Contents contents;
        private final Predictor one;
        private WorkerPool pool;
        private Predictor split;
        private MemorySegment in;
        private MemorySegment out;

        VecmlpEngine(Path file, boolean warm, long[] warmUpMillis, boolean[] settled) throws Exception {
            this.contents = ModelFile.read(file);
            Model model = contents.model();
            this.one = model.predictor(MAX_BATCH);
            loaded();
            if (warm) {
                long t0 = System.nanoTime();
                settled[0] = one.warmUp();
                warmUpMillis[0] = (System.nanoTime() - t0) / 1_000_000;
            }
        }

        @Override
        public void prepare(int batch, int threads) {
            if (in == null) {
                in = Arena.global().allocate(ValueLayout.JAVA_FLOAT, (long) MAX_BATCH * FEATURES);
                MemorySegment.copy(inputs(), 0, in, ValueLayout.JAVA_FLOAT, 0, MAX_BATCH * FEATURES);
                out = Arena.global().allocate(ValueLayout.JAVA_FLOAT, (long) MAX_BATCH * contents.model().spec().outputs());
            }
            if (threads > 1 && split == null) {
                pool = new WorkerPool(threads, "cold-start");
                split = contents.model().predictor(MAX_BATCH, pool);
            }
        }

        @Override
        public void predict(float[] x, int batch, int threads) {
            (threads > 1 ? split : one).predict(in, out, batch);
        }

        @Override
        public void close() {
            if (split != null) {
                split.close();
                pool.close();
            }
            one.close();
            contents.close();
        }
    }
}
