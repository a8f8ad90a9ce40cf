package org.familiar.identity;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import org.familiar.compute.WorkloadClass;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * The identity module's entry point: accounts and personal access tokens.
 *
 * <p>Token secrets are 256 random bits, so they are stored as a SHA-256 hash (a slow password hash
 * would add nothing but latency on every API call); passwords use the configured password encoder
 * (Argon2id). Authenticated tokens are cached for a short time so the API hot path does not hit
 * the database; revoking a token evicts it at once.
 */
@Service
public class IdentityManagement {

	static final String TOKEN_PREFIX = "fam_";

	private static final Pattern USERNAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");

	static final int MIN_PASSWORD_LENGTH = 8;

	private final People people;

	private final AccessTokens tokens;

	private final PasswordEncoder passwords;

	private final Clock clock;

	private final SecureRandom random = new SecureRandom();

	private final AtomicBoolean anyone = new AtomicBoolean();

	private final Cache<String, Optional<Caller>> callers = Caffeine.newBuilder()
		.maximumSize(100_000)
		.expireAfterWrite(Duration.ofSeconds(30))
		.build();

	private final ApplicationEventPublisher events;

	private final Cache<PersonId, Boolean> existing = Caffeine.newBuilder()
		.maximumSize(100_000)
		.expireAfterWrite(Duration.ofSeconds(10))
		.build();

	private final ObjectProvider<PersonalData> personalData;

	private final ObjectProvider<ConnectedApps> apps;

	private final org.familiar.compute.Broadcasts broadcasts;

	/** Topics on which replicas tell each other to forget a token (its hash; empty: all) or a person. */
	static final String TOKENS_CHANGED = "identity.tokens", PERSON_DELETED = "identity.people";

	IdentityManagement(People people, AccessTokens tokens, PasswordEncoder passwords, Clock clock,
			ApplicationEventPublisher events, ObjectProvider<PersonalData> personalData, ObjectProvider<ConnectedApps> apps,
			org.familiar.compute.Broadcasts broadcasts) {
		this.broadcasts = broadcasts;
		broadcasts.subscribe(TOKENS_CHANGED, hash -> {
			if (hash.isEmpty()) {
				callers.invalidateAll();
			}
			else {
				callers.invalidate(hash);
			}
		});
		broadcasts.subscribe(PERSON_DELETED, id -> {
			existing.invalidate(new PersonId(java.util.UUID.fromString(id)));
			anyone.set(false);
		});
		this.apps = apps;
		this.personalData = personalData;
		this.events = events;
		this.people = people;
		this.tokens = tokens;
		this.passwords = passwords;
		this.clock = clock;
	}

	/** Whether any account exists yet; until one does, the web app asks for the first one. */
	public boolean hasPeople() {
		if (anyone.get()) {
			return true;
		}
		boolean found = !people.isEmpty();
		anyone.compareAndSet(false, found);
		return found;
	}

	/**
	 * Creates the very first account, which is an administrator.
	 * @throws InvalidAccountException if an account exists already or the details are not valid
	 */
	@Transactional
	public synchronized Person createFirstAccount(String username, String password) {
		if (hasPeople()) {
			throw new InvalidAccountException("Familiar already has an account; sign in instead.");
		}
		return addPerson(username, password, true, null);
	}

	/**
	 * Adds a person.
	 * @throws InvalidAccountException if the name is taken or not valid, or the password too short
	 */
	@Transactional
	public Person addPerson(String username, String password, boolean admin, @Nullable String plan) {
		var name = normalise(username);
		if (!USERNAME.matcher(name).matches()) {
			throw new InvalidAccountException(
					"A username is 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit.");
		}
		if (password.length() < MIN_PASSWORD_LENGTH) {
			throw new InvalidAccountException("A password needs at least " + MIN_PASSWORD_LENGTH + " characters.");
		}
		if (people.byUsername(name).isPresent()) {
			throw new InvalidAccountException("There is already an account named '" + name + "'.");
		}
		var person = new Person(PersonId.random(), name, admin, plan == null || plan.isBlank() ? null : plan.trim(),
				clock.instant());
		people.add(person, passwords.encode(password));
		anyone.set(true);
		return person;
	}

	/**
	 * Moves a person to another plan; blank means the default plan. Plans not configured count as
	 * the default plan until they are.
	 * @throws PersonNotFoundException if there is no such person
	 */
	@Transactional
	public void changePlan(PersonId person, @Nullable String plan) {
		var name = plan == null || plan.isBlank() ? null : plan.trim();
		if (!people.changePlan(person, name)) {
			throw new PersonNotFoundException(person.toString());
		}
		events.publishEvent(new PlanChanged(person, name));
	}

	/**
	 * Everything Familiar keeps about a person, as one JSON-ready map: the account, its tokens
	 * (without secrets) and every module's {@link PersonalData}.
	 * @throws PersonNotFoundException if there is no such person
	 */
	public Map<String, Object> export(PersonId id) {
		var person = people.byId(id).orElseThrow(() -> new PersonNotFoundException(id.toString()));
		var account = new LinkedHashMap<String, Object>();
		account.put("username", person.username());
		account.put("admin", person.admin());
		account.put("plan", person.plan());
		account.put("created_at", person.createdAt().toString());
		account.put("tokens", tokens.of(id).stream().map(t -> {
			var token = new LinkedHashMap<String, Object>();
			token.put("label", t.label());
			token.put("workload", t.workload().id());
			token.put("created_at", t.createdAt().toString());
			token.put("last_used_at", t.lastUsedAt() == null ? null : t.lastUsedAt().toString());
			token.put("revoked_at", t.revokedAt() == null ? null : t.revokedAt().toString());
			return token;
		}).toList());
		var export = new LinkedHashMap<String, Object>();
		export.put("exported_at", clock.instant().toString());
		export.put("account", account);
		personalData.orderedStream().forEach(data -> export.put(data.section(), data.export(id)));
		return export;
	}

	/**
	 * Deletes an account and everything every module keeps about the person, in one transaction;
	 * their tokens stop working at once.
	 * @throws InvalidAccountException if the password is wrong, or the person is the last
	 * administrator while others remain
	 */
	@Transactional
	public void deleteAccount(PersonId id, String password) {
		var row = people.byId(id)
			.flatMap(person -> people.byUsername(person.username()))
			.orElseThrow(() -> new PersonNotFoundException(id.toString()));
		if (!passwords.matches(password, row.passwordHash())) {
			throw new InvalidAccountException("That password is not right.");
		}
		var everyone = people.all();
		if (row.person().admin() && everyone.size() > 1 && everyone.stream().noneMatch(p -> p.admin() && !p.id().equals(id))) {
			throw new InvalidAccountException("You are the only administrator: make someone else one first.");
		}
		personalData.orderedStream().forEach(data -> data.erase(id));
		apps.getObject().erase(row.person());
		people.delete(id);
		// Every replica forgets the person's tokens and that they existed, once this commits.
		broadcasts.publish(TOKENS_CHANGED, "");
		broadcasts.publish(PERSON_DELETED, id.value().toString());
	}

	/** Whether the person's account still exists; cached for ten seconds per replica. */
	public boolean exists(PersonId person) {
		return existing.get(person, id -> people.byId(id).isPresent());
	}

	public List<Person> people() {
		return people.all();
	}

	public Optional<Person> person(PersonId id) {
		return people.byId(id);
	}

	/** @throws PersonNotFoundException if nobody has that name */
	public Person person(String username) {
		return people.byUsername(normalise(username))
			.map(People.Row::person)
			.orElseThrow(() -> new PersonNotFoundException(username));
	}

	/** The stored password hash of a person, for Spring Security's sign-in only. */
	Optional<People.Row> credentials(String username) {
		return people.byUsername(normalise(username));
	}

	/** Records a wrong password for the account {@code username}, if there is one, for its person to see. */
	void signInFailed(String username, String address) {
		people.signInFailed(normalise(username), clock.instant(), address);
	}

	/** The wrong passwords tried on the person's account since they last signed in; then forgotten. */
	Optional<FailedSignIns> signedIn(PersonId person) {
		return people.takeFailedSignIns(person);
	}

	/**
	 * Issues a personal access token. The returned secret is the only copy.
	 */
	@Transactional
	public IssuedToken issueToken(PersonId person, String label, WorkloadClass workload) {
		var cleanLabel = label.isBlank() ? "token" : label.strip();
		if (cleanLabel.length() > 100) {
			throw new InvalidAccountException("A token's name has at most 100 characters.");
		}
		var bytes = new byte[32];
		random.nextBytes(bytes);
		var secret = TOKEN_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
		var token = new AccessToken(new TokenId(UUID.randomUUID()), cleanLabel, secret.substring(secret.length() - 4),
				workload, clock.instant(), null, null);
		tokens.add(person, token, hash(secret));
		return new IssuedToken(token, secret);
	}

	public List<AccessToken> tokens(PersonId person) {
		return tokens.of(person);
	}

	/**
	 * Revokes one of the person's tokens; it stops working at once on this instance.
	 * @return whether the person had such a token
	 */
	@Transactional
	public boolean revokeToken(PersonId person, TokenId token) {
		var hash = tokens.revoke(person, token, clock.instant());
		hash.ifPresent(revoked -> broadcasts.publish(TOKENS_CHANGED, revoked));
		return hash.isPresent();
	}

	/** The caller a bearer token stands for, if it is an active personal access token. */
	public Optional<Caller> authenticate(String secret) {
		if (!secret.startsWith(TOKEN_PREFIX)) {
			return Optional.empty();
		}
		return callers.get(hash(secret), this::lookUp);
	}

	private Optional<Caller> lookUp(String hash) {
		return tokens.activeByHash(hash).map(holder -> {
			tokens.markUsed(holder.token().id(), clock.instant());
			return new Caller(holder.person(), holder.username(), holder.token().id(), holder.token().workload());
		});
	}

	private static String normalise(String username) {
		return username.strip().toLowerCase(Locale.ROOT);
	}

	static String hash(String secret) {
		try {
			var digest = MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
			return HexFormat.of().formatHex(digest);
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException("SHA-256 is missing from this JVM", ex);
		}
	}
}
