/** Storage of suites, runs and results. */
@NullMarked
package org.familiar.research.internal;

import org.jspecify.annotations.NullMarked;
