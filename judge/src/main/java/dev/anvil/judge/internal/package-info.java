/** Tables, the value of an item, clustering and the queue's order. Not API. */
package dev.anvil.judge.internal;
