/**
 * Anvil's one JDBC store: an embedded H2 file in the data directory by default (nothing to start),
 * PostgreSQL in a cluster. Each component brings its tables as versioned {@link
 * dev.anvil.store.Migrations}, applied in order at start, once, whatever the number of replicas.
 * Judgments live here now; job records and the model registry's index are meant to follow.
 */
package dev.anvil.store;
