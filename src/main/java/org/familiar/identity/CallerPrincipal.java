package org.familiar.identity;

/** Implemented by the principals Familiar's authentication produces (sessions and tokens). */
public interface CallerPrincipal {

	Caller caller();
}
