/**
 * Research: evaluation suites (JSONL, graded exactly, by inclusion, regex, choice, number or a
 * model), runs of a suite against models as low-priority research work, honest intervals, and the
 * integrity guards that keep benchmarks from being quietly gamed.
 */
@NullMarked
@ApplicationModule(allowedDependencies = { "identity", "compute", "plans" })
package org.familiar.research;

import org.jspecify.annotations.NullMarked;
import org.springframework.modulith.ApplicationModule;
