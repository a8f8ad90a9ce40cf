package org.familiar.compute;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Request ids that sort by time: the millisecond in 12 hex digits, then 80 random bits. The
 * ledger's key is the request id, and ids that grow with time land next to each other in its
 * index instead of all over it, which keeps what a database rewrites per insert small.
 */
public final class RequestIds {

	private static final char[] HEX = "0123456789abcdef".toCharArray();

	private RequestIds() {
	}

	/** {@code prefix} followed by 32 hex digits, unique and time-ordered. */
	public static String next(String prefix) {
		var random = ThreadLocalRandom.current();
		var id = new char[32];
		put(id, 0, System.currentTimeMillis(), 12);
		put(id, 12, random.nextLong(), 16);
		put(id, 28, random.nextInt(), 4);
		return prefix + new String(id);
	}

	private static void put(char[] into, int at, long value, int digits) {
		for (int i = digits - 1; i >= 0; i--) {
			into[at + i] = HEX[(int) (value & 0xf)];
			value >>>= 4;
		}
	}
}
