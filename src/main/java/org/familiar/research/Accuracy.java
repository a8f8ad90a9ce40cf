package org.familiar.research;

import java.util.SplittableRandom;

/**
 * Accuracy with a 95 % percentile bootstrap interval: the items are resampled with replacement
 * {@code resamples} times and the 2.5th and 97.5th percentiles of the resampled accuracies are the
 * bounds. Seeded, so the same results give the same interval.
 */
public record Accuracy(int items, int correct, double accuracy, double low, double high) {

	public static final int RESAMPLES = 2_000;

	public static Accuracy of(boolean[] results, long seed) {
		int n = results.length;
		int correct = 0;
		for (boolean result : results) {
			correct += result ? 1 : 0;
		}
		if (n == 0) {
			return new Accuracy(0, 0, 0, 0, 0);
		}
		var random = new SplittableRandom(seed);
		var resampled = new double[RESAMPLES];
		for (int r = 0; r < RESAMPLES; r++) {
			int hits = 0;
			for (int i = 0; i < n; i++) {
				hits += results[random.nextInt(n)] ? 1 : 0;
			}
			resampled[r] = (double) hits / n;
		}
		java.util.Arrays.sort(resampled);
		return new Accuracy(n, correct, (double) correct / n, resampled[(int) Math.floor(0.025 * (RESAMPLES - 1))],
				resampled[(int) Math.ceil(0.975 * (RESAMPLES - 1))]);
	}
}
