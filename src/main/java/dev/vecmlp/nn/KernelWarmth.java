package dev.vecmlp.nn;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.vecmlp.kernel.Kernels;

/**
 * The predictor's opt-in cold-start mode ({@code -Dvecmlp.backgroundWarmUp=true}): whether a
 * network's forward pass has been handed over to the vector kernels in this JVM, and the one
 * background thread that gets them there.
 *
 * <p>A {@link Predictor} whose kernels have a twin ({@link dev.vecmlp.kernel.Kernels#forwardTwin()})
 * serves its calls from it (scalar code, the kernels' bits) until its network is handed over, so its
 * first call takes tens of milliseconds, not hundreds. Its first call on the twin queues the
 * network for the warmer, which races twin and kernels on batch-1 calls of a private copy of the
 * network (its own random weights and memory: compiled code depends on the shapes, not the
 * values, and the caller's model is never touched or kept open) until the kernels win
 * ({@link Predictor#raceTwin}); the network's predictors run the kernels from their next call.
 *
 * <p>{@link Predictor#warmUp()} on a caller's thread takes over: the background race of the
 * same network ends at its next call (or never starts), and the caller's warm-up hands the
 * network over when it returns. So a caller that warms up before serving never has a second
 * warm-up beside its own.
 *
 * <p>A network is one {@link Mlp} at one largest batch, on kernels of one name: together they
 * decide which kernel paths run. Networks queue for the one warmer thread (a daemon, gone after
 * 5 s without work), so a JVM never runs more than one background race at a time.
 *
 * <p><b>Why it is off by default.</b> On the 2-core machine it was measured on (Intel Xeon, cpu
 * family 6, JDK 25.0.3; {@code perf/cold-start.sh}, network A, fresh JVMs in turn, three runs)
 * it brings the first prediction from 356-426 ms after JVM start to 174-244 ms (ONNX Runtime:
 * 189-213), but the first 1,000 batch-1 calls after it take 0.92-1.19 s against 0.50-0.71 s:
 * the race, the JIT's compiler threads and the serving thread share two cores, and the serving
 * thread's own calls no longer drive the kernels' compilation. Waiting in the background for C2 by
 * {@link Predictor#warmUp()}'s rule instead of racing took 1.5-2.3 s. {@code ./vecmlp predict}
 * of the bundled test set took 1.9-2.4 s with it against 1.8 s without (the same bytes out).
 * It pays where the first answer matters more than the next thousand, and where a core is free
 * for the warm-up; the tests run it in a JVM of their own ({@code BackgroundWarmUpTest}).
 */
final class KernelWarmth {
    /** The system property: {@code true} or {@code false} (the default). */
    static final String PROPERTY = "vecmlp.backgroundWarmUp";
    private static final boolean ENABLED = enabled(System.getProperty(PROPERTY, "false"));
    private static final System.Logger LOG = System.getLogger(KernelWarmth.class.getName());
    /** The private copy's weights: any values time the same. */
    private static final long SEED = 0x5EEDL;

    private record Network(Mlp spec, String kernels, int maxBatch) {
    }

    private static final ConcurrentHashMap<Network, KernelWarmth> NETWORKS = new ConcurrentHashMap<>();
    private static final ThreadPoolExecutor WARMER = new ThreadPoolExecutor(0, 1, 5, TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(), r -> {
                Thread t = new Thread(r, "vecmlp-warm-up");
                t.setDaemon(true);
                return t;
            });

    private final Network network;
    private final Kernels kernels;
    private volatile boolean warm;
    /** A caller's warm-up has begun: the background one ends at its next round, or never starts. */
    private volatile boolean foreground;
    private final AtomicBoolean queued = new AtomicBoolean();
    private volatile Future<?> background;
    /** The predictors of the network still on their twin, to switch when it is warm; guarded by this. */
    private final List<WeakReference<Predictor>> cold = new ArrayList<>();

    private KernelWarmth(Network network, Kernels kernels) {
        this.network = network;
        this.kernels = kernels;
    }

    /** Whether predictors serve from the twin until their network is warm (the property, read once). */
    static boolean enabled() {
        return ENABLED;
    }

    static boolean enabled(String value) {
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException(PROPERTY + ": expected true or false, found '" + value + "'");
        };
    }

    /** The warmth of {@code spec}'s forward pass on {@code kernels} at up to {@code maxBatch} rows. */
    static KernelWarmth of(Mlp spec, Kernels kernels, int maxBatch) {
        return NETWORKS.computeIfAbsent(new Network(spec, kernels.name(), maxBatch), n -> new KernelWarmth(n, kernels));
    }

    /** Switches {@code p} to the kernels when the network is warm: now if it is, else when it becomes so. */
    void register(Predictor p) {
        synchronized (this) {
            if (!warm) {
                cold.removeIf(r -> r.get() == null);
                cold.add(new WeakReference<>(p));
                return;
            }
        }
        p.switchToKernels();
    }

    /** Queues the background warm-up, once: a predictor calls it from its calls on the twin. */
    void ensureWarming() {
        if (!queued.get() && queued.compareAndSet(false, true)) {
            background = WARMER.submit(this::warmUpInBackground);
        }
    }

    /** A caller's warm-up begins: the background one ends at its next round, or never starts. */
    void foregroundBegins() {
        foreground = true;
        Future<?> f = background;
        if (f != null) {
            f.cancel(false);
        }
    }

    /** Waits up to {@code millis} for a background warm-up of the network under way to end its round. */
    void awaitBackground(long millis) {
        Future<?> f = background;
        if (f == null || f.isDone()) {
            return;
        }
        try {
            f.get(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (CancellationException | ExecutionException | TimeoutException e) {
            // Cancelled before it started, failed (and logged), or still in a round: nothing to wait for.
        }
    }

    /** Marks the network warm and switches its predictors to the kernels. */
    void markWarm() {
        List<WeakReference<Predictor>> waiting;
        synchronized (this) {
            warm = true;
            waiting = new ArrayList<>(cold);
            cold.clear();
        }
        for (WeakReference<Predictor> r : waiting) {
            Predictor p = r.get();
            if (p != null) {
                p.switchToKernels();
            }
        }
    }

    private void warmUpInBackground() {
        if (warm || foreground) {
            return;
        }
        try (Model copy = network.spec().init(SEED, kernels);
             Predictor p = copy.predictor(network.maxBatch())) {
            p.raceTwin(() -> warm || foreground);
        } catch (RuntimeException | OutOfMemoryError e) {
            LOG.log(System.Logger.Level.WARNING, "vecmlp: the background warm-up of " + network.spec() + " failed ("
                    + e + "); its predictors now run the vector kernels, slowly until the JIT has compiled them");
        } finally {
            // Won, out of time or failed: the kernels from now on. Stopped by a caller's
            // warm-up: that one marks the network when it ends.
            if (!foreground) {
                markWarm();
            }
        }
    }
}
