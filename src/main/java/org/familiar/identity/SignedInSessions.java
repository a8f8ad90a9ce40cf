package org.familiar.identity;

import jakarta.servlet.http.HttpSession;
import jakarta.servlet.http.HttpSessionEvent;
import jakarta.servlet.http.HttpSessionListener;
import java.io.Serializable;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.springframework.context.annotation.Profile;
import org.springframework.security.core.context.SecurityContext;
import org.springframework.security.web.context.HttpSessionSecurityContextRepository;
import org.springframework.session.FindByIndexNameSessionRepository;
import org.springframework.session.Session;
import org.springframework.stereotype.Component;

/**
 * The browsers signed in to a person's account, for Settings: which, from where, since when, and
 * signing them out. One replica keeps its sessions in the servlet container; many keep them in
 * Redis (Spring Session, indexed by the person's name), so that a sign-out reaches every replica.
 */
public interface SignedInSessions {

	/** What a session says about its browser; set at sign-in. */
	String ATTRIBUTE = "familiar.signed-in";

	/** How a browser signed in: its user agent in brief, its address and when. */
	record SignIn(String device, String address, Instant at) implements Serializable {

		/** "Chrome on Linux" and the like, from a User-Agent header. */
		public static String device(@Nullable String userAgent) {
			if (userAgent == null || userAgent.isBlank()) {
				return "Unknown browser";
			}
			var browser = userAgent.contains("Edg/") ? "Edge" : userAgent.contains("Firefox/") ? "Firefox"
					: userAgent.contains("Chrome/") || userAgent.contains("Chromium/") ? "Chrome"
							: userAgent.contains("Safari/") ? "Safari" : "A browser";
			var system = userAgent.contains("Android") ? "Android" : userAgent.contains("iPhone") || userAgent.contains("iPad") ? "iOS"
					: userAgent.contains("Windows") ? "Windows" : userAgent.contains("Mac OS") ? "macOS"
							: userAgent.contains("Linux") ? "Linux" : "an unknown system";
			return browser + " on " + system;
		}
	}

	/** One signed-in browser. */
	record Signed(String id, String device, String address, @Nullable Instant signedInAt, Instant lastActive,
			boolean current) {
	}

	/** The person's signed-in browsers, this one first. */
	List<Signed> of(String username, String currentId);

	/**
	 * Signs out one of the person's browsers ({@code id}), or every one but this when {@code id} is none.
	 * @return how many were signed out
	 */
	int end(String username, @Nullable String id, String currentId);

	static List<Signed> sorted(List<Signed> sessions) {
		var list = new ArrayList<>(sessions);
		list.sort(Comparator.comparing(Signed::current).reversed().thenComparing(Signed::lastActive, Comparator.reverseOrder()));
		return list;
	}

	static Signed describe(String id, @Nullable Object signIn, Instant lastActive, String currentId) {
		var how = signIn instanceof SignIn known ? known : null;
		return new Signed(id, how == null ? "Unknown browser" : how.device(), how == null ? "" : how.address(),
				how == null ? null : how.at(), lastActive, id.equals(currentId));
	}

	/** One replica: the servlet container's sessions, followed as they are made and end. */
	@Component
	@Profile("!redis")
	final class InContainer implements SignedInSessions, HttpSessionListener {

		private final Set<HttpSession> sessions = ConcurrentHashMap.newKeySet();

		@Override
		public void sessionCreated(HttpSessionEvent event) {
			sessions.add(event.getSession());
		}

		@Override
		public void sessionDestroyed(HttpSessionEvent event) {
			sessions.remove(event.getSession());
		}

		@Override
		public List<Signed> of(String username, String currentId) {
			var found = new ArrayList<Signed>();
			for (var session : mine(username)) {
				try {
					found.add(describe(session.getId(), session.getAttribute(ATTRIBUTE),
							Instant.ofEpochMilli(session.getLastAccessedTime()), currentId));
				}
				catch (IllegalStateException ended) {
					sessions.remove(session);
				}
			}
			return sorted(found);
		}

		@Override
		public int end(String username, @Nullable String id, String currentId) {
			int ended = 0;
			for (var session : mine(username)) {
				try {
					var sessionId = session.getId();
					if (!sessionId.equals(currentId) && (id == null || id.equals(sessionId))) {
						session.invalidate();
						ended++;
					}
				}
				catch (IllegalStateException gone) {
					sessions.remove(session);
				}
			}
			return ended;
		}

		private List<HttpSession> mine(String username) {
			var mine = new ArrayList<HttpSession>();
			for (var session : sessions) {
				try {
					if (session.getAttribute(HttpSessionSecurityContextRepository.SPRING_SECURITY_CONTEXT_KEY) instanceof SecurityContext context
							&& context.getAuthentication() != null && username.equals(context.getAuthentication().getName())) {
						mine.add(session);
					}
				}
				catch (IllegalStateException ended) {
					sessions.remove(session);
				}
			}
			return mine;
		}
	}

	/** Many replicas: Spring Session's sessions in Redis, found by the person's name. */
	@Component
	@Profile("redis")
	final class InRedis implements SignedInSessions {

		private final FindByIndexNameSessionRepository<? extends Session> repository;

		InRedis(FindByIndexNameSessionRepository<? extends Session> repository) {
			this.repository = repository;
		}

		@Override
		public List<Signed> of(String username, String currentId) {
			var found = new ArrayList<Signed>();
			repository.findByPrincipalName(username)
				.forEach((id, session) -> found.add(describe(id, session.getAttribute(ATTRIBUTE), session.getLastAccessedTime(),
						currentId)));
			return sorted(found);
		}

		@Override
		public int end(String username, @Nullable String id, String currentId) {
			int ended = 0;
			for (var sessionId : repository.findByPrincipalName(username).keySet()) {
				if (!sessionId.equals(currentId) && (id == null || id.equals(sessionId))) {
					repository.deleteById(sessionId);
					ended++;
				}
			}
			return ended;
		}
	}
}
