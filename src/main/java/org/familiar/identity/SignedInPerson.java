package org.familiar.identity;

import java.util.List;
import org.familiar.compute.WorkloadClass;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.userdetails.User;

/** The principal of a browser session: chat in Familiar's own app is interactive work. */
final class SignedInPerson extends User implements CallerPrincipal {

	private final Caller caller;

	SignedInPerson(Person person, String passwordHash) {
		super(person.username(), passwordHash, !person.disabled(), true, true, true, person.admin()
				? List.of(new SimpleGrantedAuthority("ROLE_USER"), new SimpleGrantedAuthority("ROLE_ADMIN"))
				: List.of(new SimpleGrantedAuthority("ROLE_USER")));
		this.caller = new Caller(person.id(), person.username(), null, WorkloadClass.INTERACTIVE);
	}

	@Override
	public Caller caller() {
		return caller;
	}

	@Override
	public boolean equals(Object other) {
		return super.equals(other);
	}

	@Override
	public int hashCode() {
		return super.hashCode();
	}
}
