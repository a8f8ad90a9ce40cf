package org.familiar.identity.web;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.util.Locale;
import org.familiar.identity.CallerPrincipal;
import org.familiar.identity.IdentityManagement;
import org.familiar.identity.Preferences;
import org.jspecify.annotations.Nullable;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.stereotype.Component;
import org.springframework.web.servlet.LocaleResolver;
import org.springframework.web.servlet.i18n.AcceptHeaderLocaleResolver;

/**
 * The web app's language: the one the signed-in person chose in Settings, else the best of the
 * browser's languages that Familiar speaks ({@link Preferences#LANGUAGES}), else English.
 */
@Component("localeResolver")
class PersonLocaleResolver implements LocaleResolver {

	private static final String RESOLVED = PersonLocaleResolver.class.getName() + ".locale";

	private final IdentityManagement identity;

	private final AcceptHeaderLocaleResolver browser = new AcceptHeaderLocaleResolver();

	PersonLocaleResolver(IdentityManagement identity) {
		this.identity = identity;
		browser.setSupportedLocales(Preferences.LANGUAGES);
		browser.setDefaultLocale(Locale.ENGLISH);
	}

	@Override
	public Locale resolveLocale(HttpServletRequest request) {
		if (request.getAttribute(RESOLVED) instanceof Locale resolved) {
			return resolved;
		}
		var chosen = chosen();
		var locale = chosen != null ? chosen : browser.resolveLocale(request);
		request.setAttribute(RESOLVED, locale);
		return locale;
	}

	private @Nullable Locale chosen() {
		var authentication = SecurityContextHolder.getContext().getAuthentication();
		if (authentication != null && authentication.getPrincipal() instanceof CallerPrincipal me
				&& me.caller().connected() == null && me.caller().token() == null) {
			return identity.preferences(me.caller().person()).locale();
		}
		return null;
	}

	@Override
	public void setLocale(HttpServletRequest request, @Nullable HttpServletResponse response, @Nullable Locale locale) {
		request.setAttribute(RESOLVED, locale);
	}
}
