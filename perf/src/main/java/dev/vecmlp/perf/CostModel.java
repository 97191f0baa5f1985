package dev.vecmlp.perf;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import dev.vecmlp.nn.Activation;
import dev.vecmlp.nn.Layer;
import dev.vecmlp.nn.Mlp;

/**
 * A cost model of a forward and a backward pass from figures measured on the machine itself,
 * beside the lecture's FLOP model: it predicts each step's time, each pass's, and the ratio.
 *
 * <p>A step costs {@code compute + memory + pointwise + overhead} µs:
 * <ul>
 *   <li><b>compute</b>: its multiply-adds at the speed its product form (NT forward, TN weight
 *       gradient, NN input gradient) reached on a calibration network at the same rows per
 *       shard and thread count, timed alone: square products at their size (64, 256 and 1024
 *       measured, between them interpolated in log size, outside them the nearer), narrow ones
 *       (the output layer: fewer than 16 outputs) at 256 x 10;
 *   <li><b>memory</b>: what its reads and writes cost more in the pass than alone. Alone, a
 *       step's operands stay in the cache that holds the step, and the compute speed already
 *       pays for that; in the pass they come back from the level that holds the whole pass
 *       (parameters, their gradients in the backward pass, the activations). The probed read and
 *       write bandwidths at the two sizes give the difference;
 *   <li><b>pointwise</b>: the activation (forward), the loss and the bias gradient, per element
 *       at their measured speeds. The derivative fused into the input gradient is in that
 *       product's speed (measured with tanh's; another activation's adds what its derivative
 *       costs more than tanh's, alone);
 *   <li><b>overhead</b>: a fixed cost per step call, forward and backward, from the passes of
 *       {@value #OVERHEAD_NET} at batch 1 (a network too small to do any work).
 * </ul>
 * On 2 threads a pass runs on shards of ⌈batch / 2⌉ rows at the speeds measured with both
 * cores busy, plus what handing the shards to the pool costs (a 2-thread pass of
 * {@value #OVERHEAD_NET} less a 1-thread one, at 1 and at 2 shards); the backward pass adds the
 * sum of the shard gradients (2 floats read and 1 written a parameter, split over the threads,
 * the part written on the other core at what the {@code handover} probe measured more; with a
 * single shard, 1 float read a parameter on the calling thread).
 *
 * <p><b>Calibration.</b> Everything comes from {@link CalibrationBench} (the steps of the
 * calibration networks {@value #SMALL_NET}, {@value #CALIBRATION_NET} and {@value #WIDE_NET}
 * and the pointwise kernels, timed in turn within each call, at every rows per shard the grid
 * runs, in the JVM of the cells it predicts), the passes of {@value #OVERHEAD_NET}, and
 * {@link CostBench}'s bandwidth probes. No cell of the grid is fitted: its cells of these networks are the calibration and
 * are left out of the validation; every other cell is a prediction.
 */
public final class CostModel {
    /** The network whose steps calibrate the model: square 256 x 256 and narrow 256 x 10 products, the loss, the bias gradient. */
    public static final String CALIBRATION_NET = "B256x2";
    /** The network whose square products give the speeds at 1024 x 1024, where the weights outgrow L2. */
    public static final String WIDE_NET = "B1024x2";
    /** The network whose square products give the speeds at 64 x 64, where loops are short. */
    public static final String SMALL_NET = "B64x2";
    /** The label of CalibrationBench's own JVM (its default {@code jvm} parameter). */
    public static final String DEFAULT_JVM = "calibration";
    /** The square calibration networks by their width. */
    private static final Map<Integer, String> SQUARE_NETS = Map.of(64, "B64x2", 256, "B256x2", 1024, "B1024x2");
    /** The network whose passes at batch 1 give the overhead of a step. */
    public static final String OVERHEAD_NET = "B16x1";
    /** The calibration networks: their cells are not predictions. */
    public static final Set<String> CALIBRATION_NETS = Set.of(CALIBRATION_NET, WIDE_NET, SMALL_NET, OVERHEAD_NET);
    private static final int SQUARE = 256;
    private static final int NARROW = 10;
    /** A product is narrow when its output columns (NT), output rows (TN) or inner dimension (NN) fit one vector. */
    private static final int NARROW_BELOW = 16;

    /** What a step's time is made of. */
    public enum Term {
        COMPUTE, MEMORY, POINTWISE, OVERHEAD;

        public String label() {
            return name().toLowerCase();
        }
    }

    /** The three product forms. */
    enum Form {
        NT, TN, NN
    }

    /** A step's predicted µs by term. */
    public record StepCost(String step, double compute, double memory, double pointwise, double overhead) {
        public double micros() {
            return overhead + compute + memory + pointwise;
        }

        /** The µs of each term. */
        public Map<Term, Double> terms() {
            Map<Term, Double> t = new EnumMap<>(Term.class);
            t.put(Term.COMPUTE, compute);
            t.put(Term.MEMORY, memory);
            t.put(Term.POINTWISE, pointwise);
            t.put(Term.OVERHEAD, overhead);
            return t;
        }

        /** The term with the most µs. */
        public Term dominant() {
            return largest(terms());
        }
    }

    /** A pass: its steps and what it adds around them (2 threads: handing the shards out, the gradient sum). */
    public record PassCost(List<StepCost> steps, double handOut, double reduction) {
        public PassCost {
            steps = List.copyOf(steps);
        }

        public double micros() {
            double s = handOut + reduction;
            for (StepCost c : steps) {
                s += c.micros();
            }
            return s;
        }

        /** µs by term over the pass: the hand-out counts as overhead, the gradient sum as memory. */
        public Map<Term, Double> terms() {
            Map<Term, Double> t = new EnumMap<>(Term.class);
            for (Term term : Term.values()) {
                t.put(term, 0.0);
            }
            for (StepCost c : steps) {
                c.terms().forEach((k, v) -> t.merge(k, v, Double::sum));
            }
            t.merge(Term.OVERHEAD, handOut, Double::sum);
            t.merge(Term.MEMORY, reduction, Double::sum);
            return t;
        }

        /** The term with the most µs. */
        public Term dominant() {
            return largest(terms());
        }

        /** The dominant term's share of the pass, 0 to 1. */
        public double dominantShare() {
            return terms().get(dominant()) / micros();
        }
    }

    /** The model's forward and backward pass for one cell. */
    public record Prediction(PassCost forward, PassCost backward) {
        public double ratio() {
            return backward.micros() / forward.micros();
        }
    }

    /**
     * The measured figures.
     *
     * @param steps       µs of each {@link CalibrationBench} op, by thread count, then rows per shard,
     *                    then op ({@code "B256x2 dense:1"}, {@code "activate:TANH"})
     * @param overhead    µs of {@value #OVERHEAD_NET}'s forward and backward pass at batch 1, NaN if not measured
     * @param read        read bandwidth in bytes per µs by buffer size in bytes
     * @param write       write bandwidth in bytes per µs by buffer size in bytes
     * @param handOut     by shards (1 or 2), what a 2-thread pass of {@value #OVERHEAD_NET} costs more than
     *                    one of its shards on 1 thread, forward and backward: handing the shards to the pool
     *                    and waiting, and the fixed part of summing the gradients; absent if not measured
     * @param crossCore   µs per byte that reading on one core what the other core wrote costs more
     *                    than reading it on the core that wrote it, by buffer size; empty if not measured
     */
    public record Calibration(Map<Integer, TreeMap<Integer, Map<String, Double>>> steps, double[] overhead,
                              TreeMap<Long, Double> read, TreeMap<Long, Double> write, Map<Integer, double[]> handOut,
                              TreeMap<Long, Double> crossCore) {
    }

    private final Calibration cal;
    private final double forwardOverhead;
    private final double backwardOverhead;
    /** MACs per µs by {@link #key}, then product size (the square's side; 256 for narrow ones), then rows. */
    private final Map<String, TreeMap<Integer, TreeMap<Integer, Double>>> speed = new HashMap<>();
    /** µs per element of the loss (softmax cross-entropy of 10 outputs) and of a bias gradient, by threads, rows. */
    private final Map<Integer, TreeMap<Integer, Double>> lossPerElement = new HashMap<>();
    private final Map<Integer, TreeMap<Integer, Double>> biasPerElement = new HashMap<>();

    /**
     * @throws IllegalArgumentException if the calibration lacks the one-thread steps or a probe the
     *                                  model needs (see {@link #calibration})
     */
    public CostModel(Calibration cal) {
        this.cal = cal;
        if (!cal.steps().containsKey(1) || cal.steps().get(1).isEmpty()) {
            throw new IllegalArgumentException("cost model: expected calibration steps on 1 thread, found none");
        }
        // A step of the overhead network does no work worth counting: its pass is all overhead.
        this.forwardOverhead = Double.isNaN(cal.overhead()[0]) ? 0 : cal.overhead()[0] / 3;
        this.backwardOverhead = Double.isNaN(cal.overhead()[1]) ? 0 : Math.max(0, cal.overhead()[1]) / 5;
        for (Map.Entry<Integer, TreeMap<Integer, Map<String, Double>>> t : cal.steps().entrySet()) {
            int threads = t.getKey();
            for (Map.Entry<Integer, Map<String, Double>> e : t.getValue().entrySet()) {
                int b = e.getKey();
                Map<String, Double> s = e.getValue();
                double elements = (double) b * CalibrationBench.POINTWISE_COLS;
                double act = s.get("activate:TANH") / elements, actLinear = s.get("activate:LINEAR") / elements;
                putSpeed(Form.NT, false, threads, b, s, "dense:1", f -> f * act, forwardOverhead);
                putSpeed(Form.TN, false, threads, b, s, "weight_gradient:1", f -> 0, backwardOverhead);
                // The input gradient's speed keeps the tanh derivative fused into it: fused, it costs less than
                // alone, and at 256 x 10 (the narrow product) taking the alone figure off left almost nothing.
                putSpeed(Form.NN, false, threads, b, s, "input_gradient:1", f -> 0, backwardOverhead);
                double nw = (double) b * SQUARE * NARROW;
                putNarrow(Form.NT, threads, b, nw, s.get(CALIBRATION_NET + " dense:2") - forwardOverhead
                        - b * NARROW * actLinear);
                putNarrow(Form.TN, threads, b, nw, s.get(CALIBRATION_NET + " weight_gradient:2") - backwardOverhead);
                putNarrow(Form.NN, threads, b, nw, s.get(CALIBRATION_NET + " input_gradient:2") - backwardOverhead);
                lossPerElement.computeIfAbsent(threads, k -> new TreeMap<>()).put(b,
                        Math.max(0, s.get(CALIBRATION_NET + " loss:2") - forwardOverhead) / (b * NARROW));
                biasPerElement.computeIfAbsent(threads, k -> new TreeMap<>()).put(b,
                        Math.max(0, s.get(CALIBRATION_NET + " bias_gradient:1") - backwardOverhead) / (b * SQUARE));
            }
        }
    }

    /** The pointwise µs of a calibration product's step, from its elements. */
    private interface Pointwise {
        double micros(double elements);
    }

    /**
     * Records the MACs per µs of the square calibration products of every size measured (64,
     * 256, 1024): the step's time less the pointwise work on its output (NT) or input (NN) rows
     * and the overhead. A noisy calibration can leave a product no time, so it gets at least 1 ns.
     */
    private void putSpeed(Form form, boolean narrow, int threads, int rows, Map<String, Double> s, String step,
                          Pointwise pointwise, double overhead) {
        SQUARE_NETS.forEach((w, net) -> {
            Double micros = s.get(net + " " + step);
            if (micros != null) {
                double macs = (double) rows * w * w;
                put(key(form, narrow, threads), w, rows,
                        macs / Math.max(micros - overhead - pointwise.micros((double) rows * w), 1e-3));
            }
        });
    }

    private void putNarrow(Form form, int threads, int rows, double macs, double micros) {
        put(key(form, true, threads), SQUARE, rows, macs / Math.max(micros, 1e-3));
    }

    private void put(String key, int size, int rows, double macsPerMicro) {
        speed.computeIfAbsent(key, k -> new TreeMap<>()).computeIfAbsent(size, k -> new TreeMap<>()).put(rows, macsPerMicro);
    }

    private static String key(Form form, boolean narrow, int threads) {
        return form + (narrow ? " narrow " : " square ") + threads;
    }

    /**
     * The calibration among JMH results: CalibrationBench's ops (the thread counts and rows at
     * which all of them are there), MlpBench's passes of {@value #OVERHEAD_NET}, and CostBench's
     * probes; null when the results have no complete calibration (a file written before the model existed, or a run that did
     * not calibrate).
     *
     * @throws IllegalArgumentException if a CostBench result names a probe the model does not know
     */
    public static Calibration calibration(List<BenchRuns.Run> runs, String jvm) {
        Map<Integer, TreeMap<Integer, Map<String, Double>>> steps = new TreeMap<>();
        TreeMap<Long, Double> read = new TreeMap<>(), write = new TreeMap<>();
        Map<String, double[]> overheadCells = new HashMap<>();
        Map<Long, Double> local = new HashMap<>(), handover = new HashMap<>();
        for (BenchRuns.Run r : runs) {
            String net = r.param("net", "");
            if (r.benchmark().equals("CalibrationBench.run") && r.param("jvm", DEFAULT_JVM).equals(jvm)) {
                Map<String, Double> ops = steps.computeIfAbsent(r.jmhThreads(), k -> new TreeMap<>())
                        .computeIfAbsent(Integer.parseInt(r.param("rows", "0")), k -> new HashMap<>());
                for (String op : CalibrationBench.OPS) {
                    List<Double> values = r.secondary().get(CalibrationBench.metric(op));
                    if (values != null) {
                        // JMH adds up an AuxCounters metric over its threads: each thread timed every op.
                        ops.put(op, BenchTables.mean(values) / r.jmhThreads());
                    }
                }
            } else if (r.benchmark().equals("MlpBench.pair") && net.equals(OVERHEAD_NET) && r.forks() <= 1
                    && r.secondary().keySet().containsAll(BenchRuns.SPLIT)) {
                double f = BenchTables.mean(r.secondary().get("forwardMicros"));
                overheadCells.put(r.param("batch", "?") + "/" + r.param("threads", "1"),
                        new double[] {f, BenchTables.mean(r.secondary().get("bothMicros")) - f});
            } else if (r.benchmark().equals("CostBench.run")) {
                String probe = r.param("probe", "?");
                int colon = probe.indexOf(':');
                String kind = colon < 0 ? probe : probe.substring(0, colon), arg = probe.substring(colon + 1);
                switch (kind) {
                    case "read" -> read.put(Long.parseLong(arg), Long.parseLong(arg) / r.score());
                    case "write" -> write.put(Long.parseLong(arg), Long.parseLong(arg) / r.score());
                    case "local" -> local.put(Long.parseLong(arg), r.score());
                    case "handover" -> handover.put(Long.parseLong(arg), r.score());
                    case "pool" -> { } // a probe of earlier runs; the hand-outs come from the overhead network now
                    default -> throw new IllegalArgumentException("CostBench result: expected a probe read:BYTES,"
                            + " write:BYTES, local:BYTES or handover:BYTES, found '" + probe + "'");
                }
            }
        }
        for (TreeMap<Integer, Map<String, Double>> byRows : steps.values()) {
            byRows.values().removeIf(m -> !m.keySet().containsAll(CalibrationBench.OPS));
        }
        steps.values().removeIf(Map::isEmpty);
        if (!steps.containsKey(1) || read.isEmpty() || write.isEmpty()) {
            return null;
        }
        double[] one = overheadCells.getOrDefault("1/1", new double[] {Double.NaN, Double.NaN});
        Map<Integer, double[]> handOut = new HashMap<>();
        for (int shards = 1; shards <= 2; shards++) {
            // Batch 1 on 2 threads is 1 shard, batch 2 is 2 shards of 1 row: each shard as much as the 1-thread pass.
            double[] two = overheadCells.get(shards + "/2");
            if (two != null && !Double.isNaN(one[0])) {
                handOut.put(shards, new double[] {Math.max(0, two[0] - one[0]), Math.max(0, two[1] - one[1])});
            }
        }
        TreeMap<Long, Double> crossCore = new TreeMap<>();
        double hand = handOut.containsKey(1) ? handOut.get(1)[0] : 0;
        handover.forEach((bytes, micros) -> {
            if (local.containsKey(bytes)) {
                crossCore.put(bytes, Math.max(0, micros - local.get(bytes) - hand) / bytes);
            }
        });
        return new Calibration(steps, one, read, write, handOut, crossCore);
    }

    /** The calibration of the results' dedicated calibration JVM (and of results from before there was one per JVM). */
    public static Calibration calibration(List<BenchRuns.Run> runs) {
        return calibration(runs, DEFAULT_JVM);
    }

    /** The labels of the JVMs that calibrated among the results, in the order met. */
    public static List<String> calibratedJvms(List<BenchRuns.Run> runs) {
        return runs.stream().filter(r -> r.benchmark().equals("CalibrationBench.run"))
                .map(r -> r.param("jvm", DEFAULT_JVM)).distinct().toList();
    }

    /** Rows of a shard of a batch on {@code threads} threads: ⌈batch / shards⌉, shards = min(threads, batch). */
    static int shardRows(int batch, int threads) {
        return (batch + shards(batch, threads) - 1) / shards(batch, threads);
    }

    /** The shards a batch is cut into on {@code threads} threads (the Trainer's path: one per thread, at most one a row). */
    static int shards(int batch, int threads) {
        return Math.min(threads, batch);
    }

    /**
     * µs per element of an activation ({@code kind} "activate") or its derivative ("derivative")
     * at {@code rows} on {@code threads} threads.
     *
     * @throws IllegalArgumentException if the calibration did not time that activation
     */
    double perElement(String kind, Activation a, int threads, int rows) {
        TreeMap<Integer, Map<String, Double>> byRows = perThreads(cal.steps(), threads);
        TreeMap<Integer, Double> t = new TreeMap<>();
        String op = kind + ":" + a.name();
        byRows.forEach((r, ops) -> {
            if (ops.containsKey(op)) {
                t.put(r, ops.get(op) / ((double) r * CalibrationBench.POINTWISE_COLS));
            }
        });
        if (t.isEmpty()) {
            throw new IllegalArgumentException("cost model: expected the calibration's " + op + ", found none (it times "
                    + CalibrationBench.OPS.stream().filter(o -> o.contains(":") && !o.contains(" ")).toList() + ")");
        }
        return interpolate(t, rows);
    }

    public Calibration calibration() {
        return cal;
    }

    /** µs per output and row of the loss (softmax cross-entropy) at {@code rows} on {@code threads} threads. */
    public double lossPerElement(int threads, int rows) {
        return interpolate(perThreads(lossPerElement, threads), rows);
    }

    /** µs per column and row of a bias gradient at {@code rows} on {@code threads} threads. */
    public double biasPerElement(int threads, int rows) {
        return interpolate(perThreads(biasPerElement, threads), rows);
    }

    /** The square sizes the calibration measured, smallest first. */
    public List<Integer> squareSizes() {
        return List.copyOf(speed.get(key(Form.NT, false, 1)).keySet());
    }

    /** The fixed cost of a forward step call and of a backward one, µs. */
    public double[] overheads() {
        return new double[] {forwardOverhead, backwardOverhead};
    }

    /** The cost of a forward and a backward pass of {@code spec} at {@code batch} on {@code threads} threads. */
    public Prediction predict(Mlp spec, int batch, int threads) {
        int shards = shards(batch, threads);
        int rows = shardRows(batch, threads);
        // One shard runs on one thread, with the other idle: the one-thread figures.
        int t = shards > 1 && cal.steps().containsKey(shards) ? shards : 1;
        long params = spec.parameterCount();
        long activations = (long) rows * spec.inputs();
        for (Layer layer : spec.layers()) {
            activations += 3L * rows * layer.outputs(); // Z, H and the error signal
        }
        activations *= shards;
        long forwardBytes = 4 * (params + activations), backwardBytes = 4 * (2 * params + activations);
        List<StepCost> fwd = new ArrayList<>(), bwd = new ArrayList<>();
        for (int l = 0; l < spec.depth(); l++) {
            Layer layer = spec.layer(l);
            double in = layer.inputs(), out = layer.outputs(), macs = rows * in * out;
            fwd.add(new StepCost("dense:" + l, macs / speed(Form.NT, layer, t, rows),
                    memory(rows * in + in * out, 2 * rows * out, forwardBytes),
                    rows * out * perElement("activate", layer.activation(), t, rows), forwardOverhead));
        }
        int last = spec.depth() - 1;
        fwd.add(new StepCost("loss:" + last, 0, 0,
                (double) rows * spec.outputs() * lossPerElement(t, rows), forwardOverhead));
        for (int l = last; l >= 0; l--) {
            Layer layer = spec.layer(l);
            double in = layer.inputs(), out = layer.outputs(), macs = rows * in * out;
            bwd.add(new StepCost("weight_gradient:" + l, macs / speed(Form.TN, layer, t, rows),
                    memory(rows * out + rows * in, in * out, backwardBytes), 0, backwardOverhead));
            bwd.add(new StepCost("bias_gradient:" + l, 0, 0, rows * out * biasPerElement(t, rows), backwardOverhead));
            if (l > 0) {
                Activation below = spec.layer(l - 1).activation();
                // Its speed has tanh's derivative in it; another derivative adds what it costs more (alone).
                double extra = perElement("derivative", below, t, rows) - perElement("derivative", Activation.TANH, t, rows);
                bwd.add(new StepCost("input_gradient:" + l, macs / speed(Form.NN, layer, t, rows),
                        memory(rows * out + in * out + 2 * rows * in, rows * in, backwardBytes),
                        rows * in * Math.max(0, extra), backwardOverhead));
            }
        }
        if (threads == 1) {
            return new Prediction(new PassCost(fwd, 0, 0), new PassCost(bwd, 0, 0));
        }
        double[] hand = cal.handOut().getOrDefault(shards, new double[2]);
        // The reduction. One shard: the calling thread checks the gradient it wrote. Two: each thread adds its share
        // of shard 1's gradient into shard 0's, and half of what it reads was written on the other core (each
        // thread's half of the other's shard, both threads at once: half the parameters' bytes a thread).
        double reduction = shards == 1 ? stream(params, 0, 4L * params)
                : stream(2.0 * params, params, 4L * shards * params) / threads;
        if (shards > 1 && !cal.crossCore().isEmpty()) {
            reduction += 4.0 * params / threads * bandwidth(cal.crossCore(), 4L * params);
        }
        return new Prediction(new PassCost(fwd, hand[0], 0), new PassCost(bwd, hand[1], reduction));
    }

    private static <T> T perThreads(Map<Integer, T> m, int threads) {
        return m.containsKey(threads) ? m.get(threads) : m.get(1);
    }

    /**
     * µs a step's reads and writes take longer in the pass than when it was timed alone: alone,
     * its operands stay in the cache that holds the step ({@code read + written} floats); in the
     * pass they come back from the level that holds the whole pass ({@code footprint} bytes).
     * The compute speeds already pay the first; this is the difference, never below 0.
     */
    private double memory(double readFloats, double writtenFloats, long footprint) {
        long alone = (long) (4 * (readFloats + writtenFloats));
        return 4 * readFloats * Math.max(0, 1 / bandwidth(cal.read(), footprint) - 1 / bandwidth(cal.read(), alone))
                + 4 * writtenFloats * Math.max(0, 1 / bandwidth(cal.write(), footprint) - 1 / bandwidth(cal.write(), alone));
    }

    /** µs to read and write these floats at the bandwidths of a buffer of {@code footprint} bytes. */
    private double stream(double readFloats, double writtenFloats, long footprint) {
        return 4 * readFloats / bandwidth(cal.read(), footprint) + 4 * writtenFloats / bandwidth(cal.write(), footprint);
    }

    /** MACs per µs of a layer's product in {@code form} at {@code rows} on {@code threads} threads. */
    double speed(Form form, Layer layer, int threads, int rows) {
        // Narrow: NT's output columns, TN's output rows, NN's inner dimension are all the layer's outputs.
        boolean narrow = layer.outputs() < NARROW_BELOW;
        return speed(form, narrow, Math.sqrt((double) layer.inputs() * layer.outputs()), threads, rows);
    }

    /**
     * MACs per µs of {@code form} at {@code rows}: exact at calibrated rows, linear in log rows
     * between them; a square product of side {@code size} between the sizes measured (64, 256,
     * 1024), linear in log size, the nearest size's outside them.
     */
    double speed(Form form, boolean narrow, double size, int threads, int rows) {
        TreeMap<Integer, TreeMap<Integer, Double>> bySize = speed.get(key(form, narrow, threads));
        if (bySize == null) {
            bySize = speed.get(key(form, narrow, 1));
        }
        TreeMap<Double, Double> atRows = new TreeMap<>();
        bySize.forEach((w, byRows) -> atRows.put((double) w, interpolate(byRows, rows)));
        return logInterpolate(atRows, size);
    }

    /** The value at {@code rows}: exact at calibrated rows, linear in log rows between them, the nearest outside. */
    private static double interpolate(TreeMap<Integer, Double> t, int rows) {
        return logInterpolate(t, rows);
    }

    /**
     * Bytes per µs for data of {@code footprint} bytes: between the probed buffer sizes linear in
     * log size, the smallest probe's below them, the largest's (DRAM) beyond.
     */
    static double bandwidth(TreeMap<Long, Double> probes, long footprint) {
        return logInterpolate(probes, footprint);
    }

    /** {@code t} at {@code at}: exact at its keys, linear in log key between them, the nearest key's value outside. */
    private static <K extends Number> double logInterpolate(TreeMap<K, Double> t, K at) {
        Map.Entry<K, Double> lo = t.floorEntry(at), hi = t.ceilingEntry(at);
        if (lo == null) {
            return hi.getValue();
        }
        if (hi == null || lo.getKey().equals(hi.getKey())) {
            return lo.getValue();
        }
        double x = Math.log(at.doubleValue() / lo.getKey().doubleValue())
                / Math.log(hi.getKey().doubleValue() / lo.getKey().doubleValue());
        return lo.getValue() + x * (hi.getValue() - lo.getValue());
    }

    static Term largest(Map<Term, Double> terms) {
        return terms.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
    }
}
