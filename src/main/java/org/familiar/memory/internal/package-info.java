/** Storage, the per-person retrieval index, embeddings and extraction behind {@code MemoryManagement}. */
@NullMarked
package org.familiar.memory.internal;

import org.jspecify.annotations.NullMarked;
