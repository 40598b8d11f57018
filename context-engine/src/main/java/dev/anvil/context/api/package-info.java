/**
 * What callers exchange with the context engine: documents and changes in, outcomes, search
 * requests and responses out, and the engine's one exception hierarchy ({@link
 * dev.anvil.context.api.ContextException}). Depends on nothing else of the engine, so every part of
 * it may use these types.
 */
package dev.anvil.context.api;
