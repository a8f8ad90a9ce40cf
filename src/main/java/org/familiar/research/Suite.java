package org.familiar.research;

import java.util.List;

/** A named, validated list of items with unique ids. */
public record Suite(String name, List<SuiteItem> items) {

	public Suite {
		items = List.copyOf(items);
	}
}
