/** The memory page, the personality settings and {@code /api/memories}. */
@NullMarked
package org.familiar.memory.web;

import org.jspecify.annotations.NullMarked;
