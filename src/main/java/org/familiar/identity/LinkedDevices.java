package org.familiar.identity;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import org.familiar.compute.Broadcasts;
import org.familiar.identity.oauth.HashedAuthorizations;
import org.jspecify.annotations.Nullable;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.security.oauth2.core.AuthorizationGrantType;
import org.springframework.security.oauth2.server.authorization.client.RegisteredClientRepository;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * The devices people linked: each is one authorization of the device grant with the scope
 * {@code familiar.device} (an app that merely signed in with a code is no device), with a name, a kind
 * and when it was last seen. A device that asked with {@code device_name} and {@code device_kind}
 * starts with those; otherwise with its app's name and {@code other}.
 */
@Service
public class LinkedDevices {

	/** How often a device's last-seen time is written at most. */
	static final Duration SEEN_EVERY = Duration.ofMinutes(1);

	private final JdbcClient jdbc;

	private final HashedAuthorizations authorizations;

	private final RegisteredClientRepository clients;

	private final People people;

	private final Broadcasts broadcasts;

	private final ApplicationEventPublisher events;

	private final Clock clock;

	private final Cache<String, Instant> seen = Caffeine.newBuilder().maximumSize(100_000).expireAfterWrite(SEEN_EVERY).build();

	LinkedDevices(JdbcClient jdbc, HashedAuthorizations authorizations, RegisteredClientRepository clients, People people,
			Broadcasts broadcasts, ApplicationEventPublisher events, Clock clock) {
		this.jdbc = jdbc;
		this.authorizations = authorizations;
		this.clients = clients;
		this.people = people;
		this.broadcasts = broadcasts;
		this.events = events;
		this.clock = clock;
	}

	/** The person's linked devices (those whose tokens still work or can be refreshed), by name. */
	@Transactional
	public List<LinkedDevice> of(PersonId person) {
		var username = people.byId(person).map(Person::username).orElse(null);
		if (username == null) {
			return List.of();
		}
		var now = clock.instant().atOffset(ZoneOffset.UTC);
		var grants = jdbc.sql("""
				select id from oauth2_authorization where principal_name = :name and authorization_grant_type = :grant
				and authorized_scopes like :device and (access_token_expires_at > :now or refresh_token_expires_at > :now)""")
			.param("device", "%" + Scopes.DEVICE + "%")
			.param("name", username)
			.param("grant", AuthorizationGrantType.DEVICE_CODE.getValue())
			.param("now", now)
			.query(String.class)
			.list();
		var known = jdbc.sql("select id from linked_device where person_id = :person")
			.param("person", person.value())
			.query(String.class)
			.set();
		for (var id : grants) {
			if (!known.contains(id)) {
				record(person, id);
			}
		}
		for (var gone : known) {
			if (!grants.contains(gone)) {
				jdbc.sql("delete from linked_device where id = :id").param("id", gone).update();
				events.publishEvent(new DeviceUnlinked(person, gone));
			}
		}
		return jdbc.sql(COLUMNS + " where person_id = :person order by name, linked_at")
			.param("person", person.value())
			.query((rs, n) -> Stored.of(rs))
			.list()
			.stream()
			.map(stored -> stored.device(person, clients))
			.filter(java.util.Objects::nonNull)
			.toList();
	}

	/** One of the person's devices. */
	public Optional<LinkedDevice> device(PersonId person, String id) {
		return of(person).stream().filter(device -> device.id().equals(id)).findFirst();
	}

	/**
	 * The device a caller is (a device's own token), recorded as seen now.
	 * @throws ScopeMissingException unless the caller is a linked device
	 */
	public LinkedDevice current(Caller caller) {
		var id = caller.device();
		if (id == null) {
			throw new ScopeMissingException(Scopes.DEVICE);
		}
		var device = find(caller.person(), id).orElseGet(() -> {
			record(caller.person(), id);
			return find(caller.person(), id).orElseThrow(() -> new ScopeMissingException(Scopes.DEVICE));
		});
		seen(device.id());
		return device;
	}

	/** Renames a device or changes its kind. */
	@Transactional
	public LinkedDevice describe(PersonId person, String id, @Nullable String name, @Nullable String kind) {
		var device = find(person, id).orElseThrow(() -> new InvalidAccountException("No such device."));
		var newName = name == null ? device.name() : LinkedDevice.checkedName(name);
		var newKind = kind == null ? device.kind() : LinkedDevice.checkedKind(kind);
		jdbc.sql("update linked_device set name = :name, kind = :kind where id = :id and person_id = :person")
			.param("name", newName)
			.param("kind", newKind)
			.param("id", id)
			.param("person", person.value())
			.update();
		return find(person, id).orElseThrow();
	}

	/** Notes that a device called Familiar (written at most once a minute per device). */
	public void seen(String id) {
		var now = clock.instant();
		// Only the first of many calls at once writes (a device opening several streams, say).
		if (seen.asMap().putIfAbsent(id, now) != null) {
			return;
		}
		jdbc.sql("update linked_device set last_seen_at = :now where id = :id")
			.param("now", now.atOffset(ZoneOffset.UTC))
			.param("id", id)
			.update();
	}

	/**
	 * Unlinks a device: its tokens stop working at once, on every replica.
	 * @return false if the person has no such device
	 */
	@Transactional
	public boolean unlink(PersonId person, String id) {
		var username = people.byId(person).map(Person::username).orElse(null);
		if (username == null || find(person, id).isEmpty()) {
			return false;
		}
		jdbc.sql("delete from oauth2_authorization where id = :id and principal_name = :name and authorization_grant_type = :grant")
			.param("id", id)
			.param("name", username)
			.param("grant", AuthorizationGrantType.DEVICE_CODE.getValue())
			.update();
		jdbc.sql("delete from linked_device where id = :id").param("id", id).update();
		broadcasts.publish(ConnectedApps.APPS_CHANGED, "");
		events.publishEvent(new DeviceUnlinked(person, id));
		return true;
	}

	private static final String COLUMNS = "select id, registered_client_id, name, kind, linked_at, last_seen_at from linked_device";

	/**
	 * A row as stored; the app is looked up after the query, never inside it (a lookup inside
	 * would need a second connection while holding the first, and starve the pool under load).
	 */
	private record Stored(String id, String client, String name, String kind, Instant linkedAt, @Nullable Instant lastSeenAt) {

		static Stored of(java.sql.ResultSet rs) throws java.sql.SQLException {
			var lastSeen = rs.getObject(6, OffsetDateTime.class);
			return new Stored(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
					rs.getObject(5, OffsetDateTime.class).toInstant(), lastSeen == null ? null : lastSeen.toInstant());
		}

		@Nullable LinkedDevice device(PersonId person, RegisteredClientRepository clients) {
			var app = clients.findById(client);
			return app == null ? null
					: new LinkedDevice(id, person, app.getClientId(), app.getClientName(), name, kind, linkedAt, lastSeenAt);
		}
	}

	private Optional<LinkedDevice> find(PersonId person, String id) {
		return jdbc.sql(COLUMNS + " where id = :id and person_id = :person")
			.param("id", id)
			.param("person", person.value())
			.query((rs, n) -> Stored.of(rs))
			.optional()
			.map(stored -> stored.device(person, clients));
	}

	private void record(PersonId person, String id) {
		var authorization = authorizations.findById(id);
		if (authorization == null) {
			return;
		}
		var client = clients.findById(authorization.getRegisteredClientId());
		String name = authorization.getAttribute(DEVICE_NAME);
		String kind = authorization.getAttribute(DEVICE_KIND);
		jdbc.sql("""
				insert into linked_device (id, person_id, registered_client_id, name, kind, linked_at)
				select :id, :person, :client, :name, :kind, :at where not exists (select 1 from linked_device where id = :id)""")
			.param("id", id)
			.param("client", authorization.getRegisteredClientId())
			.param("person", person.value())
			.param("name", name != null ? name : client != null ? client.getClientName() : "Device")
			.param("kind", kind != null && LinkedDevice.KINDS.contains(kind) ? kind : "other")
			.param("at", clock.instant().atOffset(ZoneOffset.UTC))
			.update();
	}

	/** The authorization attributes in which a device said what it is (see the device authorization request). */
	public static final String DEVICE_NAME = "familiar.device_name";

	public static final String DEVICE_KIND = "familiar.device_kind";
}
