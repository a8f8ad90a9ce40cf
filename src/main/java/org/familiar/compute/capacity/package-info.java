/**
 * The capacity scheduler: how one backend's slots are shared between workload classes and people.
 */
@NullMarked
package org.familiar.compute.capacity;

import org.jspecify.annotations.NullMarked;
