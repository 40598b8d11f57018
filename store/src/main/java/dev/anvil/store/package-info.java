/**
 * Anvil's one JDBC store: an embedded H2 file in the data directory by default (nothing to start),
 * PostgreSQL in a cluster. Each component brings its tables as versioned {@link
 * dev.anvil.store.Migrations}, applied in order at start, once, whatever the number of replicas.
 * The context engine's judgments live here, and the trainer's jobs (records, states, events,
 * claims) and its model registry's index. Several processes of one machine share the embedded file
 * (H2's automatic mixed mode, on a loopback port).
 */
package dev.anvil.store;
