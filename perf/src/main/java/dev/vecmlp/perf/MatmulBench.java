package dev.vecmlp.perf;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import dev.vecmlp.kernel.KernelProvider;
import dev.vecmlp.kernel.Kernels;
import dev.vecmlp.kernel.Pointwise;
import dev.vecmlp.memory.Matrix;

/**
 * The three matrix products of backprop at the shapes network A gives them, and squares.
 * A case is {@code FORM:MxKxN}: C is M x N, the inner dimension K. NT is the forward product
 * ({@code A[M][K]·B[N][K]ᵀ}, with bias and ReLU in the epilogue, as in a hidden layer), NN the
 * input gradient ({@code A[M][K]·B[K][N]}, with the ReLU derivative fused), TN the weight
 * gradient ({@code A[K][M]ᵀ·B[K][N]}). GFLOP/s = 2·M·N·K / time; {@link MatmulReport} prints it.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class MatmulBench {
    @Param({
            "NT:256x784x512", "NT:256x512x512", "NT:256x512x10", "NT:64x784x512", "NT:32x784x512", "NT:32x512x512",
            "NT:1x784x512",
            "TN:512x256x784", "TN:512x256x512", "NN:256x512x512", "NN:256x512x784",
            "NT:64x64x64", "NN:64x64x64", "TN:64x64x64",
            "NT:128x128x128", "NN:128x128x128", "TN:128x128x128",
            "NT:256x256x256", "NN:256x256x256", "TN:256x256x256",
            "NT:512x512x512", "NN:512x512x512", "TN:512x512x512",
            "NT:1024x1024x1024", "NN:1024x1024x1024", "TN:1024x1024x1024"})
    public String shape;

    @Param({"simd"})
    public String kernels;

    private Kernels k;
    private Arena arena;
    private String form;
    private int m, n, kk, lda, ldb, ldc;
    private MemorySegment a, b, bias, c, h, scratch;

    @Setup(Level.Trial)
    public void setUp() {
        k = kernels.equals("scalar") ? KernelProvider.scalar() : KernelProvider.simd();
        String[] parts = shape.split(":");
        form = parts[0];
        String[] dims = parts[1].split("x");
        m = Integer.parseInt(dims[0]);
        kk = Integer.parseInt(dims[1]);
        n = Integer.parseInt(dims[2]);
        arena = Arena.ofShared();
        SplittableRandom rng = new SplittableRandom(1);
        switch (form) {
            case "NT" -> {
                lda = Matrix.paddedStride(kk);
                ldb = Matrix.paddedStride(kk);
                a = random(rng, (long) m * lda);
                b = random(rng, (long) n * ldb);
            }
            case "NN" -> {
                lda = Matrix.paddedStride(kk);
                ldb = Matrix.paddedStride(n);
                a = random(rng, (long) m * lda);
                b = random(rng, (long) kk * ldb);
            }
            case "TN" -> {
                lda = Matrix.paddedStride(m);
                ldb = Matrix.paddedStride(n);
                a = random(rng, (long) kk * lda);
                b = random(rng, (long) kk * ldb);
            }
            default -> throw new IllegalArgumentException("form: expected NT, NN or TN, found " + form);
        }
        ldc = Matrix.paddedStride(n);
        bias = random(rng, ldc);
        c = random(rng, (long) m * ldc);
        scratch = arena.allocate(Math.max(1, 4L * k.scratchFloatsNT(m, n, kk)), 64);
        h = random(rng, (long) m * ldc);
    }

    private MemorySegment random(SplittableRandom rng, long floats) {
        MemorySegment s = arena.allocate(floats * Float.BYTES, 64);
        for (long i = 0; i < floats; i++) {
            s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) (rng.nextDouble() * 2 - 1));
        }
        return s;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    /** Floating-point operations of one product: a multiply and an add per term. */
    public static double flops(String shape) {
        String[] dims = shape.split(":")[1].split("x");
        return 2.0 * Double.parseDouble(dims[0]) * Double.parseDouble(dims[1]) * Double.parseDouble(dims[2]);
    }

    @Benchmark
    public MemorySegment product() {
        switch (form) {
            case "NT" -> k.matmulNT(m, n, kk, a, 0, lda, b, 0, ldb, bias, 0, Pointwise.RELU, c, 0, ldc, c, 0, ldc,
                    scratch, 0);
            case "NN" -> k.matmulNN(m, n, kk, a, 0, lda, b, 0, ldb, Pointwise.RELU, h, 0, ldc, h, 0, ldc, c, 0, ldc);
            default -> k.matmulTN(m, n, kk, a, 0, lda, b, 0, ldb, 0f, null, 0, 0, c, 0, ldc);
        }
        return c;
    }
}
