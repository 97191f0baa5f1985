package dev.vecmlp.perf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntToDoubleFunction;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

/**
 * The cost model's arithmetic on a hand-made calibration whose figures are known: every product
 * at {@value #SPEED} MACs a µs, fixed per-element costs, a fixed overhead, flat or falling
 * bandwidths. The predictions are worked out here from the model's rules, step by step.
 */
class CostModelTest {
    /** MACs per µs of every calibration product. */
    static final double SPEED = 100;
    /** µs per element. */
    static final double TANH = 0.001, LINEAR = 0.0005, RELU = 0.0005;
    static final double TANH_D = 0.0002, RELU_D = 0.0003, LINEAR_D = 0;
    static final double LOSS = 0.002, BIAS = 0.0003;
    /** The overhead network's passes: 3 forward steps of 0.1 µs, 5 backward ones of 0.1 µs. */
    static final double OVERHEAD = 0.1;

    /** A JMH result with AuxCounters-style secondary metrics (each iteration's value repeated 3 times). */
    static String result(String benchmark, int threads, String params, Map<String, Double> secondary) {
        String metrics = secondary.entrySet().stream().map(e -> String.format(Locale.ROOT,
                "\"%s\": {\"score\": %s, \"scoreError\": \"NaN\", \"scoreUnit\": \"#\", \"rawData\": [[%s, %s, %s]]}",
                e.getKey(), 3 * e.getValue(), e.getValue(), e.getValue(), e.getValue())).collect(Collectors.joining(", "));
        return String.format(Locale.ROOT, """
                {"jmhVersion": "1.37", "benchmark": "dev.vecmlp.perf.%s", "mode": "avgt", "threads": %d,
                 "forks": 1, "jdkVersion": "25.0.3", "measurementIterations": 3, "measurementTime": "50 ms",
                 "params": {%s},
                 "primaryMetric": {"score": 1.0, "scoreError": "NaN", "scoreUnit": "us/op", "rawData": [[1.0, 1.0, 1.0]]},
                 "secondaryMetrics": {%s}}
                """, benchmark, threads, params, metrics);
    }

    static String plain(String benchmark, String params, double score) {
        return String.format(Locale.ROOT, """
                {"jmhVersion": "1.37", "benchmark": "dev.vecmlp.perf.%s", "mode": "avgt", "threads": 1,
                 "forks": 1, "jdkVersion": "25.0.3", "measurementIterations": 5, "measurementTime": "50 ms",
                 "params": {%s}, "primaryMetric": {"score": %s, "scoreError": "NaN", "scoreUnit": "us/op"},
                 "secondaryMetrics": {}}
                """, benchmark, params, score);
    }

    /** CalibrationBench at {@code rows}: every op's µs from the known figures, as a JVM on {@code threads} threads reports it. */
    static String calibration(int rows, int threads) {
        return calibration(rows, threads, SPEED);
    }

    /** The same with the products at {@code speed} MACs a µs. */
    static String calibration(int rows, int threads, double speed) {
        Map<String, Double> ops = new LinkedHashMap<>();
        double r = rows;
        for (int w : new int[] {64, 256, 1024}) {
            double square = r * w * w / speed;
            ops.put("B" + w + "x2 dense:1", square + OVERHEAD + r * w * TANH);
            ops.put("B" + w + "x2 weight_gradient:1", square + OVERHEAD);
            ops.put("B" + w + "x2 input_gradient:1", square + OVERHEAD);
        }
        double narrow = r * 256 * 10 / speed;
        ops.put("B256x2 dense:2", narrow + OVERHEAD + r * 10 * LINEAR);
        ops.put("B256x2 weight_gradient:2", narrow + OVERHEAD);
        ops.put("B256x2 input_gradient:2", narrow + OVERHEAD);
        ops.put("B256x2 loss:2", OVERHEAD + r * 10 * LOSS);
        ops.put("B256x2 bias_gradient:1", OVERHEAD + r * 256 * BIAS);
        double e = r * CalibrationBench.POINTWISE_COLS;
        ops.put("activate:TANH", e * TANH);
        ops.put("derivative:TANH", e * TANH_D);
        ops.put("activate:RELU", e * RELU);
        ops.put("derivative:RELU", e * RELU_D);
        ops.put("activate:LINEAR", e * LINEAR);
        ops.put("derivative:LINEAR", e * LINEAR_D);
        Map<String, Double> metrics = new LinkedHashMap<>();
        // JMH adds an AuxCounters metric up over its threads.
        ops.forEach((op, micros) -> metrics.put(CalibrationBench.metric(op), micros * threads));
        return result("CalibrationBench.run", threads, "\"rows\": \"" + rows + "\"", metrics);
    }

    static String overheadNet() {
        return overheadNet(1, 1, 0);
    }

    /** The overhead network's pair at {@code batch} on {@code threads}: {@code hand} µs more in each pass. */
    static String overheadNet(int batch, int threads, double hand) {
        return result("MlpBench.pair", 1, String.format(Locale.ROOT,
                "\"batch\": \"%d\", \"kernels\": \"simd\", \"net\": \"B16x1\", \"threads\": \"%d\"", batch, threads),
                Map.of("forwardMicros", 3 * OVERHEAD + hand, "bothMicros", 8 * OVERHEAD + 2 * hand));
    }

    /** Read and write probes: {@code bandwidth} bytes a µs at each size. */
    static List<String> probes(IntToDoubleFunction bandwidthByLog4) {
        List<String> out = new ArrayList<>();
        for (String kind : new String[] {"read", "write"}) {
            long bytes = 16 << 10;
            for (int i = 0; i < 8; i++, bytes *= 4) {
                out.add(plain("CostBench.run", "\"probe\": \"" + kind + ":" + bytes + "\"", bytes / bandwidthByLog4.applyAsDouble(i)));
            }
        }
        return out;
    }

    static List<BenchRuns.Run> runs(List<String> parts) {
        return BenchRuns.parse(BenchRuns.join(List.of("[" + String.join(",", parts) + "]")), "test");
    }

    static CostModel model(IntToDoubleFunction bandwidth, String... more) {
        List<String> parts = new ArrayList<>(List.of(overheadNet(), overheadNet(1, 2, 1.5), overheadNet(2, 2, 2.0),
                calibration(1, 1), calibration(32, 1), calibration(16, 2)));
        parts.addAll(probes(bandwidth));
        parts.addAll(List.of(more));
        CostModel.Calibration cal = CostModel.calibration(runs(parts));
        assertNotNull(cal);
        return new CostModel(cal);
    }

    @Test
    void aPassIsTheSumOfItsStepsAtTheCalibratedSpeedsWithFlatBandwidth() {
        CostModel m = model(i -> 1e5);
        assertEquals(OVERHEAD, m.overheads()[0], 1e-12);
        assertEquals(OVERHEAD, m.overheads()[1], 1e-12);
        // B64x4 at batch 32, 1 thread: 4 tanh layers 64 x 64, then 64 -> 10 linear, softmax cross-entropy.
        CostModel.Prediction p = m.predict(Networks.byName("B64x4"), 32, 1);
        double r = 32, square = r * 64 * 64 / SPEED, narrow = r * 64 * 10 / SPEED;
        double forward = 4 * (square + r * 64 * TANH + OVERHEAD) + (narrow + r * 10 * LINEAR + OVERHEAD)
                + (r * 10 * LOSS + OVERHEAD);
        // Backward, last layer first: weight, bias and input gradient of each layer, no input gradient for layer 0;
        // the input gradient's speed has tanh's derivative in it, and every layer below is tanh.
        double backward = (narrow + OVERHEAD) + (r * 10 * BIAS + OVERHEAD) + (narrow + OVERHEAD)
                + 3 * ((square + OVERHEAD) + (r * 64 * BIAS + OVERHEAD) + (square + OVERHEAD))
                + (square + OVERHEAD) + (r * 64 * BIAS + OVERHEAD);
        assertEquals(forward, p.forward().micros(), 1e-9);
        assertEquals(backward, p.backward().micros(), 1e-9);
        assertEquals(backward / forward, p.ratio(), 1e-12);
        assertEquals(0, p.forward().terms().get(CostModel.Term.MEMORY), 1e-12, "flat bandwidth: nothing comes back slower");
        assertEquals(CostModel.Term.COMPUTE, p.forward().dominant());
        assertEquals(5 + 1, p.forward().steps().size());
        assertEquals(5 * 3 - 1, p.backward().steps().size());
    }

    @Test
    void aReluNetworkPaysWhatItsDerivativeCostsMoreThanTanhs() {
        CostModel m = model(i -> 1e5);
        // A: 784-512-512-10, ReLU. The input gradients of layers 1 and 2 fuse ReLU's derivative over 512 columns.
        CostModel.Prediction p = m.predict(Networks.byName("A"), 32, 1);
        double extra = 0;
        for (CostModel.StepCost s : p.backward().steps()) {
            extra += s.step().startsWith("input_gradient") ? s.pointwise() : 0;
        }
        assertEquals(2 * 32 * 512 * (RELU_D - TANH_D), extra, 1e-9);
        // Products wider than 1024 take the 1024 speed, between the sizes the log-size interpolation of equal speeds.
        assertEquals(32 * 784.0 * 512 / SPEED, p.forward().steps().getFirst().compute(), 1e-9);
    }

    @Test
    void memoryCountsWhatComesBackSlowerInThePassThanAlone() {
        // Bandwidth halves from each probe size to the next above 1 MB (the 5th probe and up).
        CostModel m = model(i -> i < 4 ? 1e5 : 1e5 / (1 << (i - 3)));
        CostModel.Prediction p = m.predict(Networks.byName("B1024x4"), 1, 1);
        CostModel.StepCost dense = p.forward().steps().get(1);
        assertTrue(dense.memory() > 0, "4 MB of weights alone, 17 MB in the pass: " + dense);
        CostModel.Prediction small = m.predict(Networks.byName("B64x4"), 1, 1);
        assertEquals(0, small.forward().terms().get(CostModel.Term.MEMORY), 1e-12, "the whole pass fits where a step does");
    }

    @Test
    void twoThreadsRunShardsOfHalfTheBatchAtTheTwoThreadSpeedsPlusThePoolAndTheSum() {
        CostModel m = model(i -> 1e5);
        CostModel.Prediction one = m.predict(Networks.byName("B256x4"), 16, 1);
        CostModel.Prediction two = m.predict(Networks.byName("B256x4"), 32, 2);
        // Shards of 16 rows, calibrated at 16 rows on 2 threads with the same figures: the 1-thread pass at 16 rows,
        // plus the hand-out the overhead network measured at 2 shards (2 µs a pass), plus the sum of the shard
        // gradients: 2 read and 1 written float a parameter, half on each thread.
        long params = Networks.byName("B256x4").parameterCount();
        assertEquals(one.forward().micros() + 2.0, two.forward().micros(), 1e-9);
        assertEquals(one.backward().micros() + 2.0 + 4.0 * 3 * params / 1e5 / 2, two.backward().micros(), 1e-9);
        // With the handover probes: reading what the other core wrote costs 1e-5 µs a byte more (1 MB: 10.5 µs more
        // than local, of which the 1-shard hand-out is 1.5). 2 shards: each thread reads half the other's shard, both
        // at once: half the parameters' bytes a thread.
        CostModel cross = model(i -> 1e5, plain("CostBench.run", "\"probe\": \"local:1048576\"", 100.0),
                plain("CostBench.run", "\"probe\": \"handover:1048576\"", 100.0 + 1.5 + 1e-5 * 1048576));
        assertEquals(two.backward().micros() + 2.0 * params * 1e-5, cross.predict(Networks.byName("B256x4"), 32, 2)
                .backward().micros(), 1e-6);
        // Batch 1 on 2 threads is one shard on one thread: the 1-thread figures, the 1-shard hand-out, and the calling
        // thread's check of the gradient (1 float read a parameter).
        CostModel.Prediction single = m.predict(Networks.byName("B256x4"), 1, 2);
        assertEquals(m.predict(Networks.byName("B256x4"), 1, 1).forward().micros() + 1.5, single.forward().micros(), 1e-9);
        assertEquals(m.predict(Networks.byName("B256x4"), 1, 1).backward().micros() + 1.5 + 4.0 * params / 1e5,
                single.backward().micros(), 1e-9);
        assertEquals(single.backward().micros(), cross.predict(Networks.byName("B256x4"), 1, 2).backward().micros(), 1e-9,
                "one shard: the calling thread checks its own gradient, nothing crosses the cores");
    }

    @Test
    void rowsBetweenCalibratedOnesAreInterpolatedInLogRowsAndAnIncompleteRowIsLeftOut() {
        List<String> parts = new ArrayList<>(List.of(overheadNet(), calibration(1, 1), calibration(32, 1, 2 * SPEED)));
        parts.addAll(probes(i -> 1e5));
        CostModel m = new CostModel(CostModel.calibration(runs(parts)));
        assertEquals(SPEED, m.speed(CostModel.Form.NT, false, 256, 1, 1), 1e-6);
        assertEquals(2 * SPEED, m.speed(CostModel.Form.TN, false, 1024, 1, 32), 1e-6);
        // 8 rows: 3/5 of the way from 1 to 32 in log rows.
        assertEquals(1.6 * SPEED, m.speed(CostModel.Form.NN, true, 256, 1, 8), 1e-6);
        assertEquals(2 * SPEED, m.speed(CostModel.Form.NT, false, 64, 1, 256), 1e-6, "beyond the rows: the nearest");

        // An op missing at 32 rows: that row is left out, the rest is a model.
        List<String> broken = new ArrayList<>(List.of(overheadNet(), calibration(1, 1),
                calibration(32, 1).replace("\"B256x2_dense_1\":", "\"B256x2_dense_1_renamed\":")));
        broken.addAll(probes(i -> 1e5));
        CostModel.Calibration cal = CostModel.calibration(runs(broken));
        assertNotNull(cal);
        assertEquals(List.of(1), List.copyOf(cal.steps().get(1).keySet()));
    }

    @Test
    void withoutACompleteCalibrationThereIsNoModelAndAnUnknownProbeIsAnError() {
        assertNull(CostModel.calibration(runs(List.of(overheadNet()))));
        List<String> noWrite = new ArrayList<>(List.of(calibration(1, 1)));
        noWrite.addAll(probes(i -> 1e5).stream().filter(p -> !p.contains("write:")).toList());
        assertNull(CostModel.calibration(runs(noWrite)), "no write bandwidth");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CostModel.calibration(
                runs(List.of(plain("CostBench.run", "\"probe\": \"bogus:1\"", 1.0)))));
        assertTrue(e.getMessage().contains("'bogus:1'"), e.getMessage());
    }

    @Test
    void eachJvmHasItsOwnCalibrationAndSharesTheProbes() {
        List<String> parts = new ArrayList<>(List.of(overheadNet(), calibration(32, 1),
                calibration(32, 1, 2 * SPEED).replace("\"rows\": \"32\"", "\"rows\": \"32\", \"jvm\": \"B64x4\"")));
        parts.addAll(probes(i -> 1e5));
        List<BenchRuns.Run> runs = runs(parts);
        assertEquals(List.of(CostModel.DEFAULT_JVM, "B64x4"), CostModel.calibratedJvms(runs));
        assertEquals(SPEED, new CostModel(CostModel.calibration(runs)).speed(CostModel.Form.NT, false, 64, 1, 32), 1e-6);
        CostModel b64 = new CostModel(CostModel.calibration(runs, "B64x4"));
        assertEquals(2 * SPEED, b64.speed(CostModel.Form.NT, false, 64, 1, 32), 1e-6);
        assertEquals(OVERHEAD, b64.overheads()[0], 1e-12, "the overhead network ran in the calibration JVM only");
        assertNull(CostModel.calibration(runs, "B1024x6"), "a JVM that did not calibrate");
    }
}
