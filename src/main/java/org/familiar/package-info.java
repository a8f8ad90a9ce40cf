/**
 * Familiar, an open personal AI platform: a modular monolith, one top-level package per module.
 */
@NullMarked
package org.familiar;

import org.jspecify.annotations.NullMarked;
