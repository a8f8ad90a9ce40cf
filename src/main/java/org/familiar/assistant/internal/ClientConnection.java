package org.familiar.assistant.internal;

import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletRequestWrapper;
import java.io.IOException;
import java.lang.reflect.Field;
import org.apache.catalina.connector.RequestFacade;
import org.apache.coyote.ActionCode;
import org.jspecify.annotations.Nullable;

/**
 * Tells whether the client of a request that has not written anything yet is still connected.
 *
 * <p>The Servlet API has no such call: on HTTP/1.1 a closed connection shows only when the server
 * writes or reads. Tomcat can do a non-blocking read for us ({@link ActionCode#AVAILABLE} with
 * {@code true}); once the request body has been read, any byte or end-of-stream there means the
 * client closed its side (or pipelined another request, which no HTTP client we serve does). The
 * check is used while a request waits for capacity, from the request's own thread, and while a
 * plain (not streamed) request runs, from compute's caller watch while the request's thread waits
 * for the backend and touches neither the request nor the response. On other servers it answers
 * "connected" and a departed client is noticed at the first write instead.
 */
public final class ClientConnection {

	private static final @Nullable Field FACADE_REQUEST = facadeRequest();

	private ClientConnection() {
	}

	private static @Nullable Field facadeRequest() {
		try {
			var field = RequestFacade.class.getDeclaredField("request");
			field.setAccessible(true);
			return field;
		}
		catch (ReflectiveOperationException | RuntimeException | LinkageError ex) {
			return null;
		}
	}

	/** Whether the client has closed its connection; {@code false} when it cannot be told. */
	public static boolean closed(ServletRequest request) {
		var unwrapped = request;
		while (unwrapped instanceof ServletRequestWrapper wrapper) {
			unwrapped = wrapper.getRequest();
		}
		if (FACADE_REQUEST == null || !(unwrapped instanceof RequestFacade facade)) {
			return false;
		}
		try {
			// Whatever the JSON parser left of the body (a trailing newline, say) is not a sign of anything.
			var body = request.getInputStream();
			while (body.read() >= 0) {
				// discard
			}
		}
		catch (IOException | RuntimeException ex) {
			return ex instanceof IOException;
		}
		try {
			var catalina = (org.apache.catalina.connector.Request) FACADE_REQUEST.get(facade);
			var coyote = catalina.getCoyoteRequest();
			coyote.action(ActionCode.AVAILABLE, Boolean.TRUE);
			return coyote.getAvailable() > 0;
		}
		catch (ReflectiveOperationException | RuntimeException ex) {
			return false;
		}
	}
}
