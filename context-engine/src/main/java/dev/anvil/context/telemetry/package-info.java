/**
 * The engine's spans and metrics, shared by its parts; OpenTelemetry's API only (a no-op until a
 * main wires the SDK). Not part of the engine's API.
 */
package dev.anvil.context.telemetry;
