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
 * Whether the JIT has compiled a network's forward pass on the vector kernels in this JVM, and
 * the one background thread that gets it compiled.
 *
 * <p>A {@link Predictor} whose kernels have a {@link dev.vecmlp.kernel.ForwardTwin} serves its
 * calls from the twin (scalar code, the kernels' bits) until its network is warm here, so its
 * first call takes milliseconds, not hundreds. Its first call on the twin queues the network for
 * the warmer, which runs {@link Predictor#warmUp()}'s rounds on a private copy of the network
 * (its own random weights and memory: compiled code depends on the shapes, not the values, and
 * the caller's model is never touched or kept open), then marks the network warm, and the
 * network's predictors run the kernels from their next call.
 *
 * <p>{@link Predictor#warmUp()} on a caller's thread takes over: the background warm-up of the
 * same network ends at the end of its round (or never starts), and the caller's warm-up marks the
 * network warm when it returns. So a caller that warms up before serving never has a second
 * warm-up beside its own.
 *
 * <p>A network is one {@link Mlp} at one largest batch, on kernels of one name: together they
 * decide which kernel paths run. Networks queue for the one warmer thread (a daemon, gone after
 * 5 s without work), so a JVM never runs more than one background warm-up at a time.
 *
 * <p>{@code -Dvecmlp.backgroundWarmUp=false} turns twin and warmer off: predictors then run the
 * kernels from their first call, slowly until {@link Predictor#warmUp()} or their own calls have
 * them compiled. The tests run so, but for the ones of this mode: a background warm-up compiles
 * code while other tests measure allocation.
 */
final class KernelWarmth {
    /** The system property: {@code true} (the default) or {@code false}. */
    static final String PROPERTY = "vecmlp.backgroundWarmUp";
    private static final boolean ENABLED = enabled(System.getProperty(PROPERTY, "true"));
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
        Network network = new Network(spec, kernels.name(), maxBatch);
        KernelWarmth known = NETWORKS.get(network);
        return known != null ? known : NETWORKS.computeIfAbsent(network, n -> new KernelWarmth(n, kernels));
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
            p.warmUpUntil(() -> warm || foreground);
        } catch (RuntimeException | OutOfMemoryError e) {
            LOG.log(System.Logger.Level.WARNING, "vecmlp: the background warm-up of " + network.spec() + " failed ("
                    + e + "); its predictors now run the vector kernels, slowly until the JIT has compiled them");
        } finally {
            // Settled, out of time or failed: the kernels from now on. Stopped by a caller's
            // warm-up: that one marks the network when it ends.
            if (!foreground) {
                markWarm();
            }
        }
    }
}
