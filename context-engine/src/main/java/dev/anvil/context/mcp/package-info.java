/**
 * The context engine's Model Context Protocol server: the tools agents call ({@code search}, {@code
 * get_document}, {@code list_tags}) over Streamable HTTP, as an OAuth 2.1 resource server beside
 * the gRPC service, or over stdio for local development. Every call goes through the gRPC service's
 * admission, limits and audit.
 */
package dev.anvil.context.mcp;
