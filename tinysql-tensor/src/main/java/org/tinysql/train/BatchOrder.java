package org.tinysql.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;

/** Which training examples make up the batch of each step: a function of (seed, step) only, so a resume repeats it. */
final class BatchOrder {
    private final List<EncodedExample> train;
    private final int batchSize;
    private final int lengthBuckets;
    private final long seed;

    BatchOrder(List<EncodedExample> train, int batchSize, int lengthBuckets, long seed) {
        this.train = train;
        this.batchSize = batchSize;
        this.lengthBuckets = lengthBuckets;
        this.seed = seed;
    }

    /**
     * The batch of step {@code s}. Epoch s / stepsPerEpoch is a seeded permutation of the training set, cut into
     * groups of {@code lengthBuckets} batches; each group is sorted by length and split into batches, which are
     * visited in a seeded order. Examples of similar length share a batch, so little of it is padding, while every
     * example is still seen once per epoch; the batches are no longer random samples, though, which slowed learning
     * on CS1 (see {@link TrainerConfig}), so the default is 1 and {@code pack} removes the padding instead.
     */
    List<EncodedExample> at(long s) {
        int bs = batchSize;
        int perEpoch = train.size() / bs;
        long epoch = s / perEpoch;
        int idx = (int) (s % perEpoch);
        int[] perm = permutation(epoch);
        int groupSize = lengthBuckets;
        int first = idx / groupSize * groupSize;
        int n = Math.min(groupSize, perEpoch - first);
        int[] group = group(epoch, first, n, perm);
        int slot = group[group.length - n + (idx - first)];
        List<EncodedExample> b = new ArrayList<>(bs);
        for (int i = 0; i < bs; i++) {
            b.add(train.get(group[slot * bs + i]));
        }
        return b;
    }

    private long lastGroupKey = -1;
    private int[] lastGroup;

    /**
     * Example indices of the n batches from batch {@code first} of the epoch, sorted by length (ties keep permutation
     * order), followed by the seeded visiting order of those n batches.
     */
    private int[] group(long epoch, int first, int n, int[] perm) {
        long key = epoch * 1_000_003L + first;
        if (key == lastGroupKey) {
            return lastGroup;
        }
        int bs = batchSize;
        Integer[] members = new Integer[n * bs];
        for (int i = 0; i < members.length; i++) {
            members[i] = perm[first * bs + i];
        }
        if (n > 1) {
            Arrays.sort(members, Comparator.comparingInt(i -> train.get(i).ids().length));
        }
        int[] out = new int[members.length + n];
        for (int i = 0; i < members.length; i++) {
            out[i] = members[i];
        }
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        SplittableRandom r = new SplittableRandom(seed * 7_919L + key);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        System.arraycopy(order, 0, out, members.length, n);
        lastGroupKey = key;
        lastGroup = out;
        return out;
    }

    private int[] lastPerm;
    private long lastEpoch = -1;

    private int[] permutation(long epoch) {
        if (epoch != lastEpoch) {
            int[] p = new int[train.size()];
            for (int i = 0; i < p.length; i++) {
                p[i] = i;
            }
            SplittableRandom r = new SplittableRandom(seed * 1_000_003L + epoch);
            for (int i = p.length - 1; i > 0; i--) {
                int j = r.nextInt(i + 1);
                int t = p[i];
                p[i] = p[j];
                p[j] = t;
            }
            lastPerm = p;
            lastEpoch = epoch;
        }
        return lastPerm;
    }
}
