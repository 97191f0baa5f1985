package dev.vecmlp.perf.ort;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.Map;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;

import dev.vecmlp.perf.ColdStart;

/**
 * The ONNX Runtime peer of {@link ColdStart}: the same network and weights through an ONNX file
 * exported by PyTorch ({@code interop/onnx/export_onnx.py}), ONNX Runtime's Java API with
 * {@code t} intra-op threads for a call on {@code t} threads, all graph optimizations, the
 * inputs in a direct buffer made once per batch size, the same timings. Built only with
 * {@code -P onnxruntime} (perf/pom.xml), so that the default build need not download it.
 *
 * <pre>
 * java -cp perf/target/benchmarks.jar dev.vecmlp.perf.ort.OrtColdStart MODEL.onnx
 * </pre>
 */
public final class OrtColdStart {
    private OrtColdStart() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: OrtColdStart MODEL.onnx");
        }
        ColdStart.measure("onnxruntime", new OrtEngine(args[0]), -1, false);
    }

    private static final class OrtEngine implements ColdStart.Engine {
        private final OrtEnvironment env = OrtEnvironment.getEnvironment();
        private final String file;
        private final Map<Integer, OrtSession> sessions = new HashMap<>();
        private final Map<Long, OnnxTensor> tensors = new HashMap<>();
        private final float[] x = ColdStart.inputs();
        private String inputName;

        OrtEngine(String file) throws Exception {
            this.file = file;
            session(1);
            ColdStart.loaded();
        }

        private OrtSession session(int threads) throws Exception {
            OrtSession s = sessions.get(threads);
            if (s == null) {
                OrtSession.SessionOptions o = new OrtSession.SessionOptions();
                o.setIntraOpNumThreads(threads);
                o.setInterOpNumThreads(1);
                o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
                s = env.createSession(file, o);
                sessions.put(threads, s);
                inputName = s.getInputNames().iterator().next();
            }
            return s;
        }

        @Override
        public void prepare(int batch, int threads) throws Exception {
            session(threads);
            tensors.computeIfAbsent((long) batch, b -> {
                FloatBuffer buf = ByteBuffer.allocateDirect(batch * ColdStart.FEATURES * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
                buf.put(x, 0, batch * ColdStart.FEATURES).flip();
                try {
                    return OnnxTensor.createTensor(env, buf, new long[] {batch, 784});
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
        }

        @Override
        public void predict(float[] ignored, int batch, int threads) throws Exception {
            OrtSession s = sessions.get(threads);
            try (OrtSession.Result r = s.run(Map.of(inputName, tensors.get((long) batch)))) {
                if (r.size() != 1) {
                    throw new IllegalStateException("expected one output, found " + r.size());
                }
            }
        }

        @Override
        public void close() throws Exception {
            for (OnnxTensor t : tensors.values()) {
                t.close();
            }
            for (OrtSession s : sessions.values()) {
                s.close();
            }
        }
    }
}
