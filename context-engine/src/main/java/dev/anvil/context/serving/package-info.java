/**
 * What the engine serves: the serving index and its model, the previous one kept (and written to)
 * for an instant rollback, the re-embedding that builds the next one in the background, and the
 * governance of who may switch or roll back a model. One write lock orders every write and every
 * switch, so both indexes always hold the same documents.
 */
package dev.anvil.context.serving;
