/**
 * The gRPC face of the context engine: the service, the single place where exceptions become
 * statuses, the server (with health and reflection), and a client.
 */
package dev.anvil.context.grpc;
