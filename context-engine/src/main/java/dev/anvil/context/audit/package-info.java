/** The audit trail: one JSON line per request, flushed before the response is sent. */
package dev.anvil.context.audit;
