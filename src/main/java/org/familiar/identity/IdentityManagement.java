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

	private final Cache<PersonId, Preferences> preferences = Caffeine.newBuilder()
		.maximumSize(100_000)
		.expireAfterAccess(Duration.ofMinutes(10))
		.build();

	private final ObjectProvider<ConnectedApps> apps;

	private final ObjectProvider<PlanNames> plans;

	private final org.familiar.compute.Broadcasts broadcasts;

	/** Topics on which replicas tell each other to forget a token (its hash; empty: all) or a person. */
	static final String TOKENS_CHANGED = "identity.tokens", PERSON_DELETED = "identity.people",
			PREFERENCES_CHANGED = "identity.preferences";

	IdentityManagement(People people, AccessTokens tokens, PasswordEncoder passwords, Clock clock,
			ApplicationEventPublisher events, ObjectProvider<PersonalData> personalData, ObjectProvider<ConnectedApps> apps,
			org.familiar.compute.Broadcasts broadcasts, ObjectProvider<PlanNames> plans) {
		this.plans = plans;
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
			preferences.invalidate(new PersonId(java.util.UUID.fromString(id)));
			anyone.set(false);
		});
		broadcasts.subscribe(PREFERENCES_CHANGED, id -> preferences.invalidate(new PersonId(java.util.UUID.fromString(id))));
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
		checkPassword(password);
		if (people.byUsername(name).isPresent()) {
			throw new InvalidAccountException("There is already an account named '" + name + "'.");
		}
		var person = new Person(PersonId.random(), name, admin, checkedPlan(plan), clock.instant(), null);
		people.add(person, passwords.encode(password));
		anyone.set(true);
		return person;
	}

	/**
	 * Moves a person to another plan; blank means the default plan. A plan that was configured and
	 * no longer is counts as the default plan until it is again.
	 * @throws PersonNotFoundException if there is no such person
	 * @throws InvalidAccountException if no such plan is configured
	 */
	@Transactional
	public void changePlan(PersonId person, @Nullable String plan) {
		var name = checkedPlan(plan);
		if (!people.changePlan(person, name)) {
			throw new PersonNotFoundException(person.toString());
		}
		events.publishEvent(new PlanChanged(person, name));
	}

	/** The plans a person can be put on, the default first (just "default" before the plans module says). */
	public List<String> planNames() {
		var names = plans.getIfAvailable();
		return names == null ? List.of("default") : names.names();
	}

	/** The plan of people who have none. */
	public String defaultPlan() {
		var names = plans.getIfAvailable();
		return names == null ? "default" : names.defaultPlan();
	}

	private @Nullable String checkedPlan(@Nullable String plan) {
		var name = plan == null || plan.isBlank() ? null : plan.trim();
		if (name != null && !planNames().contains(name)) {
			throw new InvalidAccountException("There is no plan '" + name + "'. The plans are " + String.join(", ", planNames())
					+ " (familiar.plans.NAME in the configuration).");
		}
		return name;
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
		var row = row(id);
		if (!passwords.matches(password, row.passwordHash())) {
			throw new InvalidAccountException("That password is not right.");
		}
		var everyone = people.all();
		if (row.person().admin() && everyone.size() > 1 && everyone.stream().noneMatch(p -> p.admin() && !p.id().equals(id))) {
			throw new InvalidAccountException("You are the only administrator: make someone else one first.");
		}
		erase(row.person());
	}

	private void erase(Person person) {
		personalData.orderedStream().forEach(data -> data.erase(person.id()));
		apps.getObject().erase(person);
		people.delete(person.id());
		changed(person.id());
	}

	/** Whether the person's account still exists; cached for ten seconds per replica. */
	public boolean exists(PersonId person) {
		return person(person).isPresent();
	}

	/**
	 * Whether the person's account exists and is not disabled: sessions and tokens of anyone else
	 * stop. Cached for ten seconds per replica; a change is told to every replica at once.
	 */
	public boolean active(PersonId person) {
		return existing.get(person, id -> people.byId(id).filter(p -> !p.disabled()).isPresent());
	}

	/**
	 * The person's web app preferences (the defaults until they save some); every page reads them,
	 * so they are cached, and a save is told to every replica.
	 */
	public Preferences preferences(PersonId person) {
		return preferences.get(person, id -> people.preferences(id).orElse(Preferences.DEFAULT));
	}

	@Transactional
	public void savePreferences(PersonId person, Preferences saved) {
		try {
			people.savePreferences(person, saved, clock.instant());
		}
		catch (org.springframework.dao.DuplicateKeyException savedAtTheSameTime) {
			people.savePreferences(person, saved, clock.instant());
		}
		broadcasts.publish(PREFERENCES_CHANGED, person.value().toString());
	}

	/**
	 * Changes the person's own password.
	 * @throws InvalidAccountException if the current password is wrong or the new one too short
	 */
	@Transactional
	public void changePassword(PersonId person, String current, String next) {
		var row = row(person);
		if (!passwords.matches(current, row.passwordHash())) {
			throw new InvalidAccountException("Your current password is not right.");
		}
		setPassword(person, next);
	}

	/**
	 * An administrator sets a new password for someone who lost theirs.
	 * @throws InvalidAccountException if it is too short
	 */
	@Transactional
	public void resetPassword(PersonId person, String next) {
		row(person);
		setPassword(person, next);
	}

	private void setPassword(PersonId person, String next) {
		checkPassword(next);
		people.setPasswordHash(person, passwords.encode(next));
	}

	private static void checkPassword(String password) {
		if (password.length() < MIN_PASSWORD_LENGTH) {
			throw new InvalidAccountException("A password needs at least " + MIN_PASSWORD_LENGTH + " characters.");
		}
		if (password.length() > 1024) {
			throw new InvalidAccountException("A password has at most 1,024 characters.");
		}
	}

	/**
	 * An administrator makes someone an administrator or takes it away; at least one stays.
	 * @throws InvalidAccountException if this would leave nobody to administer Familiar
	 */
	@Transactional
	public void setAdmin(PersonId person, boolean admin) {
		var target = row(person).person();
		if (!admin && target.admin() && people.all().stream().noneMatch(p -> p.admin() && !p.disabled() && !p.id().equals(person))) {
			throw new InvalidAccountException(target.username() + " is the only administrator: make someone else one first.");
		}
		people.setAdmin(person, admin);
		changed(person);
	}

	/**
	 * An administrator disables an account (it cannot sign in; its sessions and tokens stop on every
	 * replica at once) or enables it again. Nothing is deleted.
	 * @throws InvalidAccountException for the administrator's own account
	 */
	@Transactional
	public void setDisabled(PersonId actor, PersonId person, boolean disabled) {
		if (actor.equals(person) && disabled) {
			throw new InvalidAccountException("You cannot disable your own account.");
		}
		row(person);
		people.setDisabled(person, disabled ? clock.instant() : null);
		changed(person);
	}

	/**
	 * An administrator deletes someone else's account and everything every module keeps about them.
	 * @throws InvalidAccountException for the administrator's own account (the account page does that)
	 */
	@Transactional
	public void deletePerson(PersonId actor, PersonId person) {
		if (actor.equals(person)) {
			throw new InvalidAccountException("Delete your own account on your account page, with your password.");
		}
		erase(row(person).person());
	}

	private People.Row row(PersonId person) {
		return people.byId(person)
			.flatMap(p -> people.byUsername(p.username()))
			.orElseThrow(() -> new PersonNotFoundException(person.toString()));
	}

	/** Every replica forgets the person's tokens and whether they may act, once this commits. */
	private void changed(PersonId person) {
		broadcasts.publish(TOKENS_CHANGED, "");
		broadcasts.publish(PERSON_DELETED, person.value().toString());
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
