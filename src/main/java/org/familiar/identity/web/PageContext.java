package org.familiar.identity.web;

import jakarta.servlet.http.HttpServletRequest;
import org.familiar.identity.CallerPrincipal;
import org.familiar.identity.IdentityManagement;
import org.familiar.identity.Preferences;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.bind.annotation.ControllerAdvice;
import org.springframework.web.bind.annotation.ModelAttribute;

/**
 * What every page's frame needs: which part of the app it belongs to (the navigation marks it)
 * and the person's theme ({@code system}, {@code light}, {@code dark}; the page says it on
 * {@code <html data-theme>}).
 */
@ControllerAdvice
class PageContext {

	private final IdentityManagement identity;

	PageContext(IdentityManagement identity) {
		this.identity = identity;
	}

	@ModelAttribute("navSection")
	String navSection(HttpServletRequest request) {
		var path = request.getRequestURI().substring(request.getContextPath().length());
		if (path.startsWith("/admin/")) {
			return "admin";
		}
		if (path.startsWith("/settings/apps") || path.startsWith("/developer")) {
			return "apps";
		}
		if (path.startsWith("/settings")) {
			return "settings";
		}
		if (path.startsWith("/characters")) {
			return "create";
		}
		for (var section : new String[] { "chat", "memory", "attention", "create", "usage", "research" }) {
			if (path.startsWith("/" + section)) {
				return section;
			}
		}
		return "";
	}

	@ModelAttribute("theme")
	String theme(@AuthenticationPrincipal Object principal) {
		// Only a browser session has pages (an API call comes with a token: no lookup on that path).
		return principal instanceof CallerPrincipal me && me.caller().connected() == null && me.caller().token() == null
				? identity.preferences(me.caller().person()).theme() : Preferences.DEFAULT.theme();
	}
}
