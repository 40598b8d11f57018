/** The engine's HTTP listeners (MCP, the admin console): Jetty over the engine's TLS. */
package dev.anvil.context.http;
