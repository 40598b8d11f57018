/**
 * The audit trail: one JSON line per request, flushed before the response is sent, and the shipper
 * that sends it to an audit topic in the event envelope.
 */
package dev.anvil.context.audit;
