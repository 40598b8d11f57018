/**
 * What the context engine's and the trainer's gRPC services share: every call authenticated by a
 * bearer token ({@link dev.anvil.rpc.AuthInterceptor}, {@link dev.anvil.rpc.BearerToken}), traced
 * ({@link dev.anvil.rpc.TelemetryInterceptor}), and served by one kind of {@link
 * dev.anvil.rpc.GrpcServer}.
 */
package dev.anvil.rpc;
