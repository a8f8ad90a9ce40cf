package org.familiar.identity.web;

import jakarta.servlet.http.HttpServletRequest;
import org.familiar.identity.FailedSignIns;
import org.jspecify.annotations.Nullable;
import org.springframework.web.bind.annotation.ControllerAdvice;
import org.springframework.web.bind.annotation.ModelAttribute;

/**
 * Shows the wrong passwords tried on a person's account once, on the first page after they sign
 * in (the navigation bar reads {@code failedSignIns}). Requests without a session (the API) pay
 * one lookup.
 */
@ControllerAdvice
class SignInNotices {

	@ModelAttribute("failedSignIns")
	@Nullable FailedSignIns failedSignIns(HttpServletRequest request) {
		var session = request.getSession(false);
		if (session == null || !(session.getAttribute(FailedSignIns.SESSION_ATTRIBUTE) instanceof FailedSignIns failed)) {
			return null;
		}
		session.removeAttribute(FailedSignIns.SESSION_ATTRIBUTE);
		return failed;
	}
}
