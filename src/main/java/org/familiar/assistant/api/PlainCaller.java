package org.familiar.assistant.api;

import jakarta.servlet.http.HttpServletRequest;
import org.familiar.assistant.internal.ClientConnection;
import org.familiar.compute.TokenSink;

/** A plain (not streamed) API caller: hears nothing until the reply is whole, and is watched for leaving. */
final class PlainCaller implements TokenSink {

	private final HttpServletRequest request;

	PlainCaller(HttpServletRequest request) {
		this.request = request;
	}

	@Override
	public void accept(String text) {
	}

	@Override
	public boolean callerGone() {
		return ClientConnection.closed(request);
	}

	@Override
	public boolean silentUntilDone() {
		return true;
	}
}
