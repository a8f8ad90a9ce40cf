/**
 * Usage as people and programs see it: the usage API.
 */
@NullMarked
package org.familiar.plans.web;

import org.jspecify.annotations.NullMarked;
