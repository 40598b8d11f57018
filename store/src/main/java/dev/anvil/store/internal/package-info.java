/** The store's internals: the migrator. Not API. */
package dev.anvil.store.internal;
