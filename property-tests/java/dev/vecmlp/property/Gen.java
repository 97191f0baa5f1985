package dev.vecmlp.property;

import java.util.Objects;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * A seeded generator: a value drawn from a {@link SplittableRandom}. The same seed gives the same
 * value, which is what lets a failure message's seed reproduce its case.
 *
 * <pre>{@code
 * Gen<Integer> width = Gen.laneWidth(1, 33);
 * Gen<int[]> shape = r -> new int[] {width.next(r), width.next(r)};
 * }</pre>
 */
@FunctionalInterface
public interface Gen<T> {

    /**
     * The sizes at which vector code changes path: 1, and around the float lanes of 128, 256 and
     * 512-bit vectors (4, 8, 16) and two 512-bit vectors (32).
     */
    int[] LANE_EDGES = {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33};

    /** Draws one value. */
    T next(SplittableRandom random);

    /** Applies {@code f} to every value. */
    default <R> Gen<R> map(Function<? super T, ? extends R> f) {
        Objects.requireNonNull(f, "f");
        return r -> f.apply(next(r));
    }

    /** A second generator chosen by the value of this one. */
    default <R> Gen<R> flatMap(Function<? super T, Gen<R>> f) {
        Objects.requireNonNull(f, "f");
        return r -> f.apply(next(r)).next(r);
    }

    /** Always {@code value}. */
    static <T> Gen<T> constant(T value) {
        return r -> value;
    }

    /** Uniform in {@code [lo, hi]}. */
    static Gen<Integer> ints(int lo, int hi) {
        if (lo > hi) {
            throw new IllegalArgumentException("ints: expected lo <= hi, found " + lo + " > " + hi);
        }
        return r -> r.nextInt(lo, hi + 1);
    }

    /** One of {@code values}, uniformly. */
    @SafeVarargs
    static <T> Gen<T> oneOf(T... values) {
        if (values.length == 0) {
            throw new IllegalArgumentException("oneOf: expected at least one value, found none");
        }
        java.util.List<T> copy = new java.util.ArrayList<>(values.length);
        for (T v : values) {
            copy.add(v);
        }
        return r -> copy.get(r.nextInt(copy.size()));
    }

    /**
     * A size in {@code [lo, hi]}, half the time one of {@link #LANE_EDGES} in range (so every
     * edge comes up often in a few hundred tries), otherwise uniform.
     */
    static Gen<Integer> laneWidth(int lo, int hi) {
        int[] edges = java.util.Arrays.stream(LANE_EDGES).filter(e -> e >= lo && e <= hi).toArray();
        Gen<Integer> uniform = ints(lo, hi);
        return r -> edges.length > 0 && r.nextBoolean() ? edges[r.nextInt(edges.length)] : uniform.next(r);
    }

    /**
     * Sizes below {@code size} down to {@code least}, smallest first: every size from
     * {@code least} to {@code least + 7}, then a quarter, a half, three quarters and one less.
     * A shrinker that offers them in this order lands on the smallest failing size, where one
     * that halves first can stop above it: a failure at odd sizes only, from 10, halved to 5,
     * whose half and one-less (2, 4) pass, while 1 fails too.
     */
    static int[] smallerFirst(int size, int least) {
        java.util.TreeSet<Integer> sizes = new java.util.TreeSet<>();
        for (int d = least; d < size && d <= least + 7; d++) {
            sizes.add(d);
        }
        for (int d : new int[] {size / 4, size / 2, size - size / 4, size - 1}) {
            if (d >= least && d < size) {
                sizes.add(d);
            }
        }
        return sizes.stream().mapToInt(Integer::intValue).toArray();
    }

    /** {@code count} floats uniform in {@code [-scale, scale)}. */
    static float[] floats(SplittableRandom r, int count, double scale) {
        float[] v = new float[count];
        for (int i = 0; i < count; i++) {
            v[i] = (float) (scale * (2 * r.nextDouble() - 1));
        }
        return v;
    }
}
