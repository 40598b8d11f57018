/**
 * The admin console: server-rendered HTML served by the engine process on a port of its own, for
 * principals the policy in force allows {@code admin} or {@code audit}. Entry point: {@link
 * dev.anvil.console.ConsoleServer}. Everything else is internal to this package.
 */
package dev.anvil.console;
