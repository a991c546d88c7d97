package io.ambientjava.hbone.server;

import java.util.concurrent.CompletionStage;

/**
 * Decides where an accepted CONNECT goes: authorization, target selection, and opening the upstream
 * connection (from the right network namespace, source address, ...). A stage that completes exceptionally
 * is answered 503 with the exception's message.
 */
@FunctionalInterface
public interface HboneConnector {

    CompletionStage<ConnectDecision> connect(InboundConnect request);
}
